"""The daemon logs layer: Slurm's log lines parsed from stored real container logs of
22.05, 24.11 and 26.05 (tests/cluster/data/slurm-logs), and shipped to a real rsyslog
receiver at least once: nothing lost while it is away or the collector restarts,
nothing sent twice on a healthy link."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sinks.receivers import Rsyslog, wait_for
from workload.cluster.collect.logs import (
    LogShipper, ShippedElsewhere, Source, parse_log_paths, whole_records)
from workload.cluster.collect.slurmlog import (
    EngineLine, SlurmLine, document, parse_engine_line, parse_slurm_line, rfc3339)
from workload.testing.require import require

DATA = Path(__file__).parent / "data" / "slurm-logs"
RELEASES = ("22.05", "24.11", "26.05")
DAEMON = {"ctld": "slurmctld", "db": "slurmdbd", "n1": "slurmd", "n2": "slurmd"}


def lines(release: str, host: str) -> list[SlurmLine]:
    records, used = whole_records((DATA / release / f"{host}.ctr.log").read_bytes())
    assert used == (DATA / release / f"{host}.ctr.log").stat().st_size
    return [parse_slurm_line(r.text, DAEMON[host]) for _, r in records]


@pytest.mark.parametrize("release", RELEASES)
def test_every_daemon_line_has_its_daemon_level_and_job(release: str) -> None:
    ctld = lines(release, "ctld")
    assert {x.daemon for x in ctld} == {"slurmctld"}
    assert {x.daemon for x in lines(release, "db")} == {"slurmdbd"}
    assert {x.daemon for x in lines(release, "n1")} == {"slurmd"}
    # Every job the workload made (array task 4_1 is job 7, 4_2 keeps id 4) ...
    assert {x.job_id for x in ctld if x.message.startswith("sched: Allocate")} == \
        {"1", "2", "3", "4", "5", "6", "7"}
    done = [x for x in ctld if x.message.startswith("_job_complete")]
    assert {x.job_id for x in done} == {"1", "2", "3", "4", "7"}
    assert [x.level for x in ctld if "Configured MailProg is invalid" in x.message] == \
        ["error"]
    # ... a refused submission names none, and no line keeps a prefix or a timestamp.
    refused = [x for x in ctld if "Invalid partition name" in x.message]
    assert len(refused) == 1 and refused[0].job_id is None
    assert not any(x.message.startswith(("slurmctld:", "[2")) for x in ctld)
    n1 = lines(release, "n1")
    assert {x.job_id for x in n1 if "aunch" in x.message} >= {"1", "2", "7"}
    assert [x.job_id for x in n1 if x.message.startswith("launch task StepId=2.0")] == ["2"]


def test_slurmd_names_its_node_until_2605() -> None:
    assert {x.node for x in lines("22.05", "n2")} == {"n2"}
    assert {x.node for x in lines("24.11", "n1")} == {None, "n1"}   # "slurmd:" at start
    assert {x.node for x in lines("26.05", "n1")} == {None}          # the container's
    assert [x.level for x in lines("26.05", "n1")][1:4] == ["warning", "error", "error"]


def test_engine_pieces_are_joined_into_one_line() -> None:
    records, _ = whole_records((DATA / "26.05" / "ctld.ctr.log").read_bytes())
    texts = [r.text for _, r in records]
    assert "[2026-12-04T13:50:10.970] accounting_storage/slurmdbd: clusteracct_storage_p_" \
        "register_ctld: Registering slurmctld at port 6817 with slurmdbd" in texts
    assert len(records) == 51    # 52 records in the file, one of them a piece
    first = parse_engine_line((DATA / "26.05" / "ctld.ctr.log").read_text().splitlines()[0])
    assert first.time == pytest.approx(rfc3339("2026-12-04T13:50:10.962Z"), abs=0.001)


def test_an_unfinished_record_waits_for_the_next_read() -> None:
    data = (DATA / "26.05" / "ctld.ctr.log").read_bytes()
    cut = data.index(b" stderr P ")
    cut = data.index(b"\n", cut) + 1           # the piece is whole, its end not yet there
    records, used = whole_records(data[:cut + 20])
    assert used == data.rindex(b"\n", 0, cut - 1) + 1   # stops before the piece
    assert records[-1][1].text.endswith("slurmctld version 26.05.5 started on cluster "
                                        "h4-cap26(0)")
    assert [at for at, _ in records][:2] == [0, data.index(b"\n") + 1]   # file offsets


def test_document_is_the_receivers_json_event() -> None:
    line = EngineLine(1796392214.004, "[2026-12-04T13:50:14.004] sched: Allocate "
                      "JobId=4_1(7) NodeList=n1 #CPUs=1 Partition=batch")
    doc = document("c1", "ctld", "slurmctld", line, "c1-ctld:120")
    assert doc == {"@timestamp": "2026-12-04T13:50:14.004Z", "@version": "1",
                   "type": "slurm-log", "cluster": "c1", "daemon": "slurmctld",
                   "node": "ctld", "level": "info", "time": 1796392214.004,
                   "message": "sched: Allocate JobId=4_1(7) NodeList=n1 #CPUs=1 "
                   "Partition=batch", "job_id": "7", "source": "c1-ctld:120"}
    assert "job_id" not in document("c1", "db", "slurmdbd", EngineLine(0, "x"), "s:0")


def test_docker_json_file_lines_and_inspect_paths() -> None:
    line = parse_engine_line('{"log":"slurmd-n1: Launching batch job 7 for UID 0\\n",'
                             '"stream":"stderr","time":"2026-12-04T13:50:15.039Z"}')
    assert (line.text, line.partial) == ("slurmd-n1: Launching batch job 7 for UID 0", False)
    assert parse_log_paths("c-ctld /var/lib/x/ctr.log\n/c-n1 /d/n1-json.log\nc-n2 \n") == \
        {"c-ctld": Path("/var/lib/x/ctr.log"), "c-n1": Path("/d/n1-json.log")}


# -- shipping to a real rsyslog ----------------------------------------------------------
@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    require("rsyslog")
    with Rsyslog(tmp_path / "rsyslog") as service:
        yield service


def slurm_docs(receiver: Rsyslog) -> list[dict]:
    return [d for d in receiver.records() if d.get("type") == "slurm-log"]


@pytest.mark.rsyslog
def test_each_line_arrives_once_through_an_outage_and_a_restart(rsyslog: Rsyslog,
                                                                tmp_path: Path) -> None:
    stored = (DATA / "24.11" / "ctld.ctr.log").read_bytes().splitlines(keepends=True)
    log = tmp_path / "ctr.log"
    log.write_bytes(b"".join(stored[:30]) + stored[30][:25])   # a line being written
    sources = [Source("c-ctld", "ctld", "slurmctld", log)]
    state = tmp_path / "state"

    first = LogShipper("c", sources, rsyslog.url(), state)
    first.step()
    wait_for(lambda: len(slurm_docs(rsyslog)) >= 30, 20, "30 lines in rsyslog")
    rsyslog.stop()
    with log.open("ab") as grow:                            # the daemon logs on ...
        grow.write(stored[30][25:] + b"".join(stored[31:]))
    with pytest.raises(OSError):
        first.step()                                        # ... the receiver is away
    assert first.waiting == len(stored) - 30
    del first                                               # the collector is killed
    gc.collect()                                            # (its lock goes with it)

    rsyslog.start()
    second = LogShipper("c", sources, rsyslog.url(), state)  # and started again
    second.step()
    second.step()                                           # nothing new: nothing sent
    docs = wait_for(lambda: len(got := slurm_docs(rsyslog)) >= len(stored) and got, 20,
                    "every line in rsyslog")
    assert second.waiting == 0 and len(docs) == len(stored)
    offsets = [int(d["source"].split(":")[1]) for d in docs]
    assert offsets == sorted(set(offsets))                  # each once, in order
    assert [d["message"] for d in docs] == \
        [parse_slurm_line(r.text, "slurmctld").message
         for _, r in whole_records(log.read_bytes())[0]]
    assert json.loads((state / "slurm-logs.json").read_text()) == \
        {"c-ctld": {"inode": log.stat().st_ino, "offset": log.stat().st_size}}
    with pytest.raises(ShippedElsewhere):                   # one shipper a cluster
        LogShipper("c", sources, rsyslog.url(), state)


# -- a real cluster's daemons, through its background collector -------------------------
@pytest.fixture(scope="module")
def logged() -> Iterator:
    from tests.clusters import per_run_name, session_cluster
    from workload.cluster import ClusterSpec

    require("cluster")
    submitted: list[str] = []
    with session_cluster(ClusterSpec(name=per_run_name("wlgen-collog"), nodes=2, cpus=2,
                                     mem_mb=512, monitoring=True), submitted) as cluster:
        yield cluster, submitted


def cluster_docs(cluster) -> list[dict]:
    text = Path(cluster.monitoring.received).read_text()
    return [d for d in map(json.loads, text.splitlines())
            if d.get("type") == "slurm-log" and d.get("cluster") == cluster.name]


@pytest.mark.podman
@pytest.mark.root
@pytest.mark.slow
def test_daemon_lines_reach_the_clusters_receiver_once_across_a_restart(logged) -> None:
    from workload.cluster import wait_for as wait
    from workload.cluster.collect import background

    cluster, submitted = logged

    def job_lines(job: str, want: int) -> list[dict]:
        return wait(lambda: len(got := [d for d in cluster_docs(cluster)
                                        if d.get("job_id") == job]) >= want and got,
                    90, f"{want} log lines of job {job} in {cluster.monitoring.received}",
                    interval=1.0)

    failed = cluster.slurm(["sbatch", "--parsable", "-w", "n1", "--wrap", "exit 3"]).strip()
    submitted.append(failed)
    # submit, allocate, WEXITSTATUS, done (slurmctld) + launching (slurmd on n1)
    docs = job_lines(failed, 5)
    assert {(d["daemon"], d["node"]) for d in docs} == {("slurmctld", "ctld"),
                                                         ("slurmd", "n1")}
    assert any(d["message"] == f"_job_complete: JobId={failed} WEXITSTATUS 3" for d in docs)
    every = cluster_docs(cluster)
    assert {d["daemon"] for d in every} == {"slurmctld", "slurmd", "slurmdbd"}
    assert {d["node"] for d in every} >= {"ctld", "db", "n1", "n2"}
    assert any(d["level"] == "error" for d in every)

    # The collector restarts (as after a host reboot): it goes on from its offsets.
    assert background.stop(cluster.dir)
    background.start(cluster.name, cluster.dir, interval_s=5.0)
    second = cluster.slurm(["sbatch", "--parsable", "-w", "n2", "--wrap", "true"]).strip()
    submitted.append(second)
    job_lines(second, 5)
    sources = [d["source"] for d in cluster_docs(cluster)]
    assert len(sources) == len(set(sources)), "a daemon log line was sent twice"


@pytest.mark.rsyslog
def test_a_container_missing_at_start_is_looked_for_again(rsyslog: Rsyslog,
                                                          tmp_path: Path) -> None:
    log = tmp_path / "n1.log"
    source = Source("c-n1", "n1", "slurmd", log)
    found: list[Source] = []                       # the engine does not know n1 yet
    shipper = LogShipper("c", [], rsyslog.url(), tmp_path / "state",
                         relocate=lambda: list(found), expected=1)
    shipper.step()
    assert shipper.read_total == 0
    log.write_bytes((DATA / "22.05" / "n1.ctr.log").read_bytes())
    found.append(source)                            # n1 started: inspect names its file
    shipper.step()
    docs = wait_for(lambda: len(got := slurm_docs(rsyslog)) >= 9 and got, 20, "n1's lines")
    assert {(d["daemon"], d["node"]) for d in docs} == {("slurmd", "n1")} and len(docs) == 9


def test_a_line_longer_than_a_read_is_cut_never_stuck(tmp_path: Path, monkeypatch) -> None:
    from workload.cluster.collect import logs
    from workload.cluster.collect.logs import LogFollower

    monkeypatch.setattr(logs, "READ_MAX", 64)
    log = tmp_path / "ctr.log"
    log.write_bytes(b"2026-12-04T13:50:10.962+00:00 stderr F slurmctld: " + b"x" * 100 + b"\n")
    follower = LogFollower([Source("c", "ctld", "slurmctld", log)], tmp_path / "o.json")
    got = []
    for _ in range(4):
        lines, offsets = follower.read()
        follower.commit(offsets)
        got += lines
    assert [at for _, at, _ in got] == [0, 64, 128]   # in pieces, the last one whole
    assert offsets["c"]["offset"] == log.stat().st_size
    assert "".join(line.text for _, _, line in got).endswith("x" * 100)   # nothing dropped
