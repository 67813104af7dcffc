"""`wlgen cluster up --monitoring`: Graphite and the JSON-lines receiver next to a cluster.

The builders and the sink-settings layer are checked without an engine; the rest runs a
real 1-node cluster with its monitoring containers, a real `wlgen storm` whose sinks are
wired from the cluster alone, and reads every event back from the containerised
graphite-web and the receiver's output file.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from workload.cli.main import cli
from workload.cluster import (
    Cluster,
    ClusterSpec,
    down,
    monitoring,
    proc,
    state,
    wait_for,
)
from workload.cluster.engine import Engine
from workload.cluster.images import MONITORING, context_digest, context_files
from workload.sinks.config import resolve

from tests.clusters import monitored_cluster, per_run_name


NAME = per_run_name("wlgen-mon")


# -- without an engine -----------------------------------------------------------------
def test_monitoring_containers_sit_at_fixed_addresses_and_publish_on_loopback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    handle = Cluster(ClusterSpec(name="m1", nodes=2, subnet=7, monitoring=True))
    ends = monitoring.Endpoints(4001, 4002, 4003, "/x/received.jsonl")
    graphite, logs = monitoring.container_specs(handle, "img", ends)
    assert (graphite.name, graphite.ip, graphite.command) == ("m1-graphite", "10.213.7.5",
                                                              ("graphite",))
    assert (logs.name, logs.ip, logs.command) == ("m1-logs", "10.213.7.6", ("receiver",))
    argv = Engine("podman").run(logs)
    assert ["-p", "127.0.0.1:4003:5000/tcp"] == argv[argv.index("-p"):argv.index("-p") + 2]
    assert "127.0.0.1:4003:5000/udp" in argv
    assert f"{tmp_path}/m1/monitoring:/var/log/wlgen" in argv
    assert "127.0.0.1:4001:2003" in Engine("podman").run(graphite)
    assert logs.labels["wlgen.cluster"] == "m1"  # so `down` finds and removes it
    assert handle.container("logs") == "m1-logs" and "graphite" in handle.monitoring_hosts


def test_options_beat_env_beats_cluster_monitoring_beats_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("graphite: {address: file:1, web: http://file}\n"
                      "logstash: {url: tcp://file:1}\n")
    offered = {"graphite": "mon:2", "graphite_web": "http://mon", "logstash": "tcp://mon:2"}
    got = resolve({"graphite": "cli:3"}, env={"WLGEN_GRAPHITE_WEB": "http://env"},
                  config=config, cluster=offered)
    assert (got.graphite, got.graphite_web, got.logstash) == ("cli:3", "http://env",
                                                              "tcp://mon:2")
    assert resolve({}, env={}, config=config, cluster={}).logstash == "tcp://file:1"


def test_cluster_monitoring_is_offered_only_while_its_carbon_answers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    assert monitoring.sink_settings("nope") == {}
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        facts = {"monitoring": {"carbon_port": port, "web_port": 2, "receiver_port": 3,
                                "received": "/s/c1/monitoring/received.jsonl"}}
        state.save("c1", {"spec": ClusterSpec(name="c1").to_dict(), "facts": facts})
        assert monitoring.sink_settings("c1") == {
            "graphite": f"127.0.0.1:{port}", "graphite_web": "http://127.0.0.1:2",
            "logstash": "tcp://127.0.0.1:3", "spool_dir": "/s/c1/monitoring/sink-spool"}
    assert monitoring.sink_settings("c1") == {}  # state left behind, nothing listening


def test_monitoring_image_digest_follows_its_own_files_only(tmp_path: Path) -> None:
    for rel in ("containers/monitoring/Containerfile", "containers/monitoring/rsyslog.conf",
                "jobs/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    assert [str(p) for p in context_files(tmp_path, MONITORING)] == [
        "containers/monitoring/Containerfile", "containers/monitoring/rsyslog.conf"]
    first = context_digest(tmp_path, "bookworm", "b", MONITORING)
    (tmp_path / "jobs/__init__.py").write_text("changed")
    assert context_digest(tmp_path, "bookworm", "b", MONITORING) == first
    (tmp_path / "containers/monitoring/rsyslog.conf").write_text("changed")
    assert context_digest(tmp_path, "bookworm", "b", MONITORING) != first


def test_env_of_a_cluster_without_monitoring_is_one_clear_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    state.save("plain", {"spec": ClusterSpec(name="plain").to_dict(), "facts": {}})
    result = CliRunner().invoke(cli, ["cluster", "env", "--name", "plain"])
    assert result.exit_code == 1 and "has no monitoring" in result.output


# -- against podman ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def watched() -> Iterator[Cluster]:
    """A 1-node cluster with monitoring, removed at the end of the module."""
    with monitored_cluster(NAME) as up:
        yield up


def _get(url: str, **query: object) -> object:
    with urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(query)}", timeout=30) as answer:
        return json.load(answer)


def _storm(tmp_path: Path, *extra: str) -> tuple[dict, list[dict], str]:
    """A real-time simulated storm naming the cluster: (metrics, events.jsonl, stderr)."""
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, [
        "storm", "--backend", "sim", "--cluster", NAME, "--realtime", "--jobs", "20",
        "--rate", "10", "--runtime", "0.5", "--metrics-interval", "0.5", "--out", str(out),
        "--json", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    recorded = [json.loads(line) for line in (out / "events.jsonl").open()]
    return json.loads(result.stdout), recorded, result.stderr


def _received(ends: monitoring.Endpoints, run_id: str, count: int) -> list[dict]:
    def mine() -> list[dict]:
        lines = Path(ends.received).read_text().splitlines()
        return [r for r in map(json.loads, lines) if r.get("run_id") == run_id]
    return wait_for(lambda: len(got := mine()) >= count and got, 30,
                    f"{count} events of {run_id} in {ends.received}")


def pod(test):
    """Marks of the tests that run containers (graphite and rsyslog are inside them)."""
    for mark in (pytest.mark.podman, pytest.mark.root, pytest.mark.slow):
        test = mark(test)
    return test


@pod
def test_a_run_naming_the_cluster_reaches_its_graphite_and_receiver(
        watched: Cluster, tmp_path: Path) -> None:
    ends = watched.monitoring
    started = time.time()
    metrics, recorded, stderr = _storm(tmp_path)
    run_id = metrics["run_id"]
    assert f"sinks from cluster {NAME}'s monitoring" in stderr
    assert len(recorded) == 60 and metrics["completed"] == 20

    received = _received(ends, run_id, 60)
    assert len(received) == 60
    by_seq = {(r["seq"], r["kind"]): r for r in received}
    for event in recorded:  # every field of every event, as recorded
        got = by_seq[(event["seq"], event["kind"])]
        assert {k: got[k] for k in event} == event
        assert got["@version"] == "1" and got["type"] == "wlgen"

    notes = _get(ends.graphite_web + "/events/get_data", tags=f"wlgen {run_id}",
                 **{"from": int(started) - 5, "until": int(time.time()) + 5})
    assert len(notes) == 60
    for note in notes:
        data = json.loads(note["data"])
        event = next(e for e in recorded if (e["seq"], e["kind"]) == (data["seq"], data["kind"]))
        assert {k: data[k] for k in event} == event
        assert note["what"] == f"job {event['job_id']} {event['kind']} {event['state']}"
        assert {"wlgen", run_id, event["kind"], event["state"]} <= set(note["tags"])
        assert abs(note["when"] - event["time"]) < 1

    target = f"wlgen.{run_id}.submitted"

    def points() -> list[float]:
        series = _get(ends.graphite_web + "/render", target=target, format="json",
                      **{"from": int(started) - 5, "until": int(time.time()) + 5})
        return [v for item in series for v, _ in item["datapoints"] if v is not None]
    assert max(wait_for(points, 30, f"points of {target}")) == 20

    # The receiver's file is the container's own, seen through `exec` as well.
    inside = watched.exec("logs", ["cat", f"{monitoring.OUTPUT_DIR}/{monitoring.RECEIVED}"],
                          check=True).stdout.decode()
    assert inside == Path(ends.received).read_text()


@pod
def test_an_explicit_option_beats_the_clusters_monitoring(
        watched: Cluster, tmp_path: Path) -> None:
    ends = watched.monitoring
    udp = ends.logstash("udp")  # the same receiver, reached another way: over UDP
    metrics, recorded, stderr = _storm(tmp_path, "--logstash", udp)
    note = next(line for line in stderr.splitlines() if "sinks from cluster" in line)
    assert "logstash=" not in note and "graphite=" in note
    received = _received(ends, metrics["run_id"], len(recorded))
    assert sorted((r["seq"], r["kind"]) for r in received) == \
        sorted((e["seq"], e["kind"]) for e in recorded)


@pod
def test_status_and_env_show_the_endpoints(watched: Cluster) -> None:
    wlgen = [sys.executable, "-c", "from workload.cli.main import main; main()"]
    done = subprocess.run([*wlgen, "cluster", "status", "--name", NAME, "--json"],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["monitoring"]["graphite_web"] == watched.monitoring.graphite_web
    assert shown["containers"][f"{NAME}-logs"] == "running"
    done = subprocess.run([*wlgen, "cluster", "env", "--name", NAME], capture_output=True,
                          timeout=60, check=False)
    assert done.stdout.decode().splitlines() == watched.monitoring.env_lines()


@pod
def test_down_removes_the_monitoring_too(watched: Cluster) -> None:
    ends, engine = watched.monitoring, watched.engine
    assert down(NAME) is True
    label = f"wlgen.cluster={NAME}"
    assert engine.parse_containers(proc.text(engine, engine.list_containers(label))) == {}
    assert proc.text(engine, engine.network_list(label)) == ""
    assert not Path(ends.received).exists() and not watched.dir.exists()
    for port in (ends.carbon_port, ends.web_port, ends.receiver_port):
        assert not monitoring.answers(port), f"port {port} still answers"
    assert monitoring.sink_settings(NAME) == {}
