"""`wlgen cluster monitor` against a real 2-node cluster with monitoring: the collector
runs a few intervals and every layer is read back from graphite-web's render API.

The cluster is set up so each layer has a value that must be there: n2 drained, one
busy-loop job running on n1 (n1 mixed, one CPU allocated, CPU busy), one 2-node job
pending (n2 is drained, so it cannot start).
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.clusters import per_run_name, session_cluster
from workload.cli.main import cli
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.cluster.collect.slurmstate import IDLE, MIXED
from workload.testing.require import require

NAME = per_run_name("wlgen-col")
submitted: list[str] = []
pytestmark = [pytest.mark.podman, pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def watched() -> Iterator[Cluster]:
    require("cluster")
    with session_cluster(ClusterSpec(name=NAME, nodes=2, cpus=2, mem_mb=512,
                                     monitoring=True), submitted) as cluster:
        yield cluster


def submit(cluster: Cluster, *args: str) -> str:
    job = cluster.slurm(["sbatch", "--parsable", *args]).strip()
    submitted.append(job)
    return job


def render(cluster: Cluster, target: str) -> list[tuple[int, float]]:
    """The (time, value) points of ``target`` (under the cluster's prefix), nulls out."""
    query = urllib.parse.urlencode({"target": f"wlgen.cluster.{NAME}.{target}",
                                    "from": "-3min", "format": "json"})
    with urllib.request.urlopen(f"{cluster.monitoring.graphite_web}/render?{query}",
                                timeout=30) as answer:
        series = json.load(answer)
    assert len(series) <= 1, f"{target}: {len(series)} series"   # [] until carbon has it
    return [(t, v) for v, t in series[0]["datapoints"] if v is not None] if series else []


def test_every_layer_reaches_graphite_on_one_clock(watched: Cluster) -> None:
    watched.slurm(["scontrol", "update", "NodeName=n2", "State=DRAIN", "Reason=collect test"])
    submit(watched, "-w", "n1", "-n1", "--wrap", "timeout 120 sh -c 'while :; do :; done'")
    submit(watched, "-N2", "--wrap", "true")
    wait_for(lambda: watched.node_states().get("n1") == "mixed", 60, "n1 to run the job")

    result = CliRunner().invoke(cli, ["cluster", "monitor", "--name", NAME, "--interval", "5",
                                      "--count", "4"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.count("metrics sent") == 4 and "left out" not in result.output

    def last(target: str) -> float:
        points = wait_for(lambda: render(watched, target), 30, f"{target} in graphite")
        return points[-1][1]

    assert (last("node.n1.state"), last("node.n2.state"), last("node.n2.drain")) == \
        (MIXED, IDLE, 1)
    assert (last("nodes.mixed"), last("nodes.idle"), last("nodes.down")) == (1, 1, 0)
    assert (last("partition.batch.running"), last("partition.batch.pending"),
            last("partition.batch.cpus_alloc"), last("partition.batch.cpus_idle")) == \
        (1, 1, 1, 1)   # n2's two CPUs are drained: neither allocated nor idle
    assert (last("node.n1.jobs_running"), last("node.n2.jobs_running")) == (1, 0)
    assert last("node.n1.cpu_percent") > 10 > last("node.n2.cpu_percent")
    assert last("node.n1.pids") > last("node.n2.pids") and last("node.n1.mem_used_mb") > 0
    assert last("scheduler.jobs_submitted") == 2 and last("scheduler.server_threads") >= 1
    assert last("scheduler.rpc.REQUEST_SUBMIT_BATCH_JOB.count") == 2
    assert last("collector.scheduler_ok") == 1

    # One clock, and carbon's 5 s slots: every layer's points at the same times, 5 s
    # apart, with no empty slot between them (a line, not dots).
    times = [t for t, _ in render(watched, "node.n1.cpu_percent")]
    assert times == [t for t, _ in render(watched, "scheduler.jobs_submitted")][-len(times):]
    assert len(times) >= 3 and {b - a for a, b in zip(times, times[1:])} == {5}


def test_faults_become_annotations_and_receiver_events(watched: Cluster) -> None:
    """`wlgen fabric` faults (a cable pulled and plugged, a slow node) and a scenario's
    Slurm faults (node down, node up), each read back from graphite-web's events and the
    receiver's file, with the cluster, the action and the node."""
    from workload.backends.slurm.faults import SlurmFaults
    from workload.fabric import faults
    from workload.fault import Fault

    began = time.time()
    faults.link(watched, "n2", up=False)
    faults.link(watched, "n2", up=True)
    faults.slow(watched, "n1", 0)
    driver = SlurmFaults(watched, [Fault(0, "node_down", node="n2"),
                                   Fault(0, "node_up", node="n2")])
    driver.start(time.time())
    wait_for(lambda: len(driver.applied) == 2, 60, "the scenario's two faults")
    driver.stop()
    assert [a["outcome"] for a in driver.applied] == ["applied", "applied"]
    wanted = [("link_down", "n2"), ("link_up", "n2"), ("slow", "n1"), ("node_down", "n2"),
              ("node_up", "n2")]

    ends = watched.monitoring
    query = urllib.parse.urlencode({"tags": f"wlgen {NAME} fault", "from": int(began) - 1,
                                    "until": int(time.time()) + 60})
    with urllib.request.urlopen(f"{ends.graphite_web}/events/get_data?{query}",
                                timeout=30) as answer:
        notes = json.load(answer)
    assert sorted((n["tags"][3], n["tags"][4]) for n in notes) == sorted(wanted)
    assert all(n["tags"][:3] == ["wlgen", NAME, "fault"] for n in notes)
    assert all(began - 1 <= n["when"] <= time.time() for n in notes)

    def received() -> list[dict]:
        lines = Path(ends.received).read_text().splitlines()
        return [d for d in map(json.loads, lines)
                if d.get("type") == "wlgen-fault" and d.get("cluster") == NAME]
    docs = wait_for(lambda: len(got := received()) >= len(wanted) and got, 30,
                    "the fault events in the receiver's file")
    assert sorted((d["action"], d["node"]) for d in docs) == sorted(wanted)


def test_up_runs_the_collector_in_the_background_and_down_stops_it(watched: Cluster) -> None:
    """Last in this module: it takes the cluster down (the fixture's down is then a no-op)."""
    from workload.cluster import down
    from workload.cluster.collect import background

    pid = background.running(watched.dir)
    assert pid is not None, (watched.dir / "monitoring" / background.LOG_FILE).read_text()
    # Its points reach graphite with nobody running `cluster monitor` in the foreground.
    began = time.time()
    wait_for(lambda: any(t > began for t, _ in render(watched, "collector.scheduler_ok")),
             30, "a point of the background collector")
    assert down(NAME)
    assert not Path(f"/proc/{pid}").exists() or \
        Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
