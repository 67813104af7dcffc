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

from workload.cluster import Cluster, ClusterSpec
from workload.cluster.collect import background, schema
from workload.cluster.collect.collector import monitor, prefix
from workload.cluster.proc import failure
from workload.errors import ClusterError

from tests.clusters import per_run_name, session_cluster
from workload.testing.require import require

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
    last line) until ``resizes`` is set."""

    def __init__(self, schemas: str) -> None:
        super().__init__(ClusterSpec(name="wlgen-fake", nodes=1, monitoring=True))
        self.schemas, self.resizes = schemas, False

    def exec(self, host: str, argv: Sequence[str], **kwargs: Any
             ) -> subprocess.CompletedProcess:
        assert host == "graphite", host
        argv = list(argv)
        done = subprocess.CompletedProcess(argv, 0, b"", b"")
        if argv == ["cat", schema.SCHEMAS]:
            done.stdout = self.schemas.encode()
        elif argv[0] == "sh":   # cat > new && mv new SCHEMAS
            self.schemas = kwargs["input"].decode()
        elif argv[0] == "whisper-auto-resize" and not self.resizes:
            done = subprocess.CompletedProcess(argv, 1, b"", RESIZE_DENIED)
            raise failure(argv, done)
        return done


RESIZE_DENIED = (b"PermissionError: [Errno 13] Permission denied: '/var/lib/graphite/whisper/"
                 b"wlgen/cluster/wlgen-fake/collector/duration_ms.wsp'\n")


def test_a_failed_resize_puts_the_rule_back_so_the_next_start_resizes() -> None:
    graphite = Graphite(SHIPPED.read_text())
    with pytest.raises(ClusterError, match=r"not resized to 1s:86400, so the rule was put "
                                           r"back to 5s:86400: .*Permission denied"):
        schema.match(graphite, 1)
    assert graphite.schemas == SHIPPED.read_text()   # as it was: the rule and the series
    graphite.resizes = True
    assert "1 s slots now (5s:86400 -> 1s:86400)" in (schema.match(graphite, 1) or "")
    assert schema.current(graphite.schemas) == "1s:86400"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    require("cluster")
    with session_cluster(ClusterSpec(name=NAME, nodes=1, cpus=2, mem_mb=512,
                                     monitoring=True), []) as up:
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
    said: list[str] = []
    began = int(time.time())
    assert monitor(cluster, interval_s=1, count=12, say=said.append) == 12
    assert any("1 s slots now (5s:86400 -> 1s:86400)" in line for line in said), said
    info = cluster.exec("graphite", ["whisper-info", f"{schema.WHISPER}/wlgen/cluster/"
                                     f"{NAME}/collector/duration_ms.wsp"], check=True)
    assert b"secondsPerPoint: 1\n" in info.stdout   # resized (it existed, at 5 s slots)
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
