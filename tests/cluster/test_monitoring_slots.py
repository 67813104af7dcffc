"""Carbon's slots for a cluster's layers follow the collector's interval (issue 17 §1, §3:
layers at 1 s are lines, not dots): the rule rewritten on the shipped schema file, and a
real cluster whose collector, started at 1 s, leaves a point in every 1 s slot."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.cluster.collect import background, schema
from workload.cluster.collect.collector import monitor, prefix
from workload.cluster.proc import failure
from workload.errors import ClusterError

from tests.clusters import monitored_cluster, per_run_name

SHIPPED = Path(__file__).parents[2] / "containers" / "monitoring" / "storage-schemas.conf"
NAME = per_run_name("wlgen-slots")


def test_the_shipped_schema_matches_the_default_interval() -> None:
    assert schema.current(SHIPPED.read_text()) == schema.retention(5) == "5s:86400"


def test_another_interval_rewrites_only_the_cluster_rule() -> None:
    text = SHIPPED.read_text()
    one = schema.with_retention(text, 1)
    assert schema.current(one) == "1s:86400" and schema.retention(2.5) == "2s:86400"
    assert one.replace("1s:86400", "5s:86400") == text   # [default] and comments kept
    with pytest.raises(ValueError, match="wlgen_cluster"):
        schema.with_retention("[default]\npattern = .*\nretentions = 1s:1d\n", 1)


class Graphite(Cluster):
    """A cluster seen through its graphite container at the exec seam: the storage
    schemas file it holds, and whisper-auto-resize failing (exit 1, a permission error's
    last line) ``failures`` times; ``resized_under`` is the rule each resize ran under."""

    def __init__(self, schemas: str, failures: int = 1_000_000) -> None:
        super().__init__(ClusterSpec(name="wlgen-fake", nodes=1, monitoring=True))
        self.schemas, self.failures = schemas, failures
        self.resized_under: list[str | None] = []

    def exec(self, host: str, argv: Sequence[str], **kwargs: Any
             ) -> subprocess.CompletedProcess:
        assert host == "graphite", host
        argv = list(argv)
        done = subprocess.CompletedProcess(argv, 0, b"", b"")
        if argv == ["cat", schema.SCHEMAS]:
            done.stdout = self.schemas.encode()
        elif argv[0] == "sh":   # cat > new && mv new SCHEMAS
            self.schemas = kwargs["input"].decode()
        elif argv[0] == "whisper-auto-resize":
            self.resized_under.append(schema.current(self.schemas))
            if self.failures:
                self.failures -= 1
                raise failure(argv, subprocess.CompletedProcess(argv, 1, b"", RESIZE_DENIED))
        return done


RESIZE_DENIED = (b"PermissionError: [Errno 13] Permission denied: '/var/lib/graphite/whisper/"
                 b"wlgen/cluster/wlgen-fake/collector/duration_ms.wsp'\n")


def test_a_failed_resize_puts_the_rule_back_so_the_next_start_resizes() -> None:
    graphite = Graphite(SHIPPED.read_text(), failures=1)
    with pytest.raises(ClusterError, match=r"not resized to 1s:86400, so the rule was put "
                                           r"back to 5s:86400 and the series resized back"
                                           r": .*Permission denied"):
        schema.match(graphite, 1)
    assert graphite.schemas == SHIPPED.read_text()   # as it was: the rule and the series
    # whisper-auto-resize stops at its first failure, the files before it resized (and
    # carbon may have made new ones under the new rule): they follow the old rule again.
    assert graphite.resized_under == ["1s:86400", "5s:86400"]
    assert "1 s slots now (5s:86400 -> 1s:86400)" in (schema.match(graphite, 1) or "")
    assert schema.current(graphite.schemas) == "1s:86400"


def test_a_failed_resize_back_is_said_with_what_it_leaves() -> None:
    graphite = Graphite(SHIPPED.read_text())   # every resize fails
    with pytest.raises(ClusterError, match=r"rule was put back to 5s:86400, but the series "
                                           r"could not be resized back .*some may keep "
                                           r"1s:86400 until the interval changes"):
        schema.match(graphite, 1)
    assert graphite.schemas == SHIPPED.read_text()
    assert graphite.resized_under == ["1s:86400", "5s:86400"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with monitored_cluster(NAME) as up:
        yield up


def render(cluster: Cluster, target: str, since: int, until: int) -> list[list]:
    query = urllib.parse.urlencode({"target": target, "from": since, "until": until,
                                    "format": "json"})
    url = f"{cluster.monitoring.graphite_web}/render?{query}"
    with urllib.request.urlopen(url, timeout=60) as answer:
        series = json.load(answer)
    return series[0]["datapoints"] if series else []


@pytest.mark.podman
@pytest.mark.root
@pytest.mark.slow
def test_a_collector_at_1s_fills_every_1s_slot(cluster: Cluster) -> None:
    # One collector sets the slots: the background one `up` started (at 5 s) stops, as
    # it does for `bench/monitoring_load.py`, which starts its own at 1 s.
    background.stop(cluster.dir)
    # Two series, whatever the background collector wrote before it stopped: one kept
    # at the old 5 s (this start resizes it), and one absent: new to carbon within its
    # first minute on the new rule (carbon re-reads its schemas once a minute), so the
    # collector makes its file at 1 s itself (schema.create_missing), else carbon would
    # make it at the old 5 s. The resize the collector runs 65 s in (for series carbon
    # made at the old slots meanwhile) is not waited for: create_missing leaves it none
    # of the collector's own to find, and it is the same schema.resize this start ran.
    tree = f"{schema.WHISPER}/wlgen/cluster/{NAME}/collector"
    old, fresh = f"{tree}/duration_ms.wsp", f"{tree}/scheduler_ok.wsp"
    cluster.exec("graphite", ["sh", "-c", f"mkdir -p {tree}; test -f {old} || "
                              f"whisper-create {old} 5s:86400 >/dev/null"],
                 user="_graphite", check=True)
    # Removed until it stays away (points of the last sample still in carbon's cache
    # would make it again): from then on nothing writes it but the collector below.
    wait_for(lambda: cluster.exec("graphite", ["sh", "-c", f"rm -f {fresh}; sleep 2; "
                                               f"test ! -f {fresh}"]).returncode == 0,
             120, "the scheduler_ok series to stay removed")
    said: list[str] = []
    began = int(time.time())
    assert monitor(cluster, interval_s=1, count=12, say=said.append) == 12
    assert any("1 s slots now (5s:86400 -> 1s:86400)" in line for line in said), said
    for series in (old, fresh):   # resized; made at 1 s
        info = cluster.exec("graphite", ["whisper-info", series], check=True)
        assert b"secondsPerPoint: 1\n" in info.stdout, series
    points = render(cluster, f"{prefix(NAME)}collector.duration_ms", began,
                    int(time.time()) + 2)
    held = [t for v, t in points if v is not None]
    # 12 samples a second apart kept in 1 s slots: about 12 points (a sample that took
    # longer than its second skips a slot); in 5 s slots they would be 3 or 4.
    assert {b - a for a, b in zip(points, points[1:]) for a, b in [(a[1], b[1])]} == {1}
    assert len(held) >= 8, points
    again: list[str] = []
    assert monitor(cluster, interval_s=1, count=1, say=again.append) == 1
    assert again and not any("slots" in line for line in again)   # already 1 s: left alone
