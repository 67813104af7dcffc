"""The REST backend end to end: `wlgen storm` through slurmrestd of a real cluster.

A cluster of its own (22.05, API v0.0.38; not conftest's, whose session fixture takes
down a running cluster of its name, which a CLI test session may be using), reached both
as a wlgen cluster (``--cluster``) and as a slurmrestd known only by URL and token.
WLGEN_REST_TEST_CLUSTER=NAME runs the tests on a running cluster instead (left up).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.cluster.secrets import sign_jwt
from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.parse import JobRecord
from workload.backends.slurm.request import SubmitRequest, submit_request
from workload.backends.slurm.rest import ClusterTokens, RestSlurmClient, rest_client
from workload.backends.slurm.restclient import RestClient, RestFailure
from workload.backends.slurm.retry import Patience
from workload.backends.slurm.script import build_batch_script
from workload.spec import JobSpec

from workload.testing.require import require
from tests.clusters import owned_cluster, per_run_name

from .conftest import cancel_run_jobs

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root]
WLGEN = [sys.executable, "-m", "workload.cli.main"]
REST_CLUSTER = per_run_name("wlgen-restbe")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """2 nodes x 4 CPUs, bookworm (Slurm 22.05), fresh for this module."""
    require("cluster")
    given = os.environ.get("WLGEN_REST_TEST_CLUSTER")
    if given:
        yield Cluster.load(given)
        return
    spec = ClusterSpec(name=REST_CLUSTER, nodes=2, cpus=4, mem_mb=1024)
    with owned_cluster(spec, before_down=cancel_run_jobs) as handle:
        yield handle


def wlgen(*args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WLGEN, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def events_of(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def test_storm_through_slurmrestd_accounts_for_every_job(cluster: Cluster,
                                                         tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = wlgen("storm", "--jobs", "20", "--runtime", "1-3", "--size", "1-4", "--users", "3",
                 "--backend", "slurm", "--slurm-client", "rest", "--cluster", cluster.name,
                 "--json", "--out", str(run_dir))
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["completed"] == 20 and metrics["unaccounted"] == 0, metrics
    kinds: dict[int, list[str]] = {}
    for event in events_of(run_dir):
        kinds.setdefault(event["seq"], []).append(event["kind"])
        assert event["time"] == int(event["time"]) or event["kind"] == "submit"
    assert kinds == {seq: ["submit", "start", "end"] for seq in range(20)}
    # Jobs ran as the trace's users (a token signed for each), as with the CLI backend.
    prefix = f"wlgen.{json.loads((run_dir / 'settings.json').read_text())['run_id']}."
    users = wait_for(lambda: cluster.slurm(["sacct", "-a", "-X", "--noheader", "--parsable2",
                                            "--format=User,JobName", "-S", "now-1hour"]),
                     30, "the run in accounting")
    ran_as = {line.split("|")[0] for line in users.splitlines() if prefix in line}
    assert ran_as == {"u1", "u2", "u3"}


def test_a_slurmrestd_known_only_by_url_and_token(cluster: Cluster, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = wlgen("storm", "--jobs", "6", "--runtime", "1", "--backend", "slurm",
                 "--slurm-url", cluster.rest_url, "--slurm-token", cluster.token("root"),
                 "--cluster", "", "--json", "--out", str(run_dir))
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["completed"] == 6 and metrics["unaccounted"] == 0, metrics


def test_environment_variables_name_the_server_too(cluster: Cluster, tmp_path: Path) -> None:
    env = {**os.environ, "SLURM_URL": cluster.rest_url, "SLURM_JWT": cluster.token("root")}
    done = subprocess.run([*WLGEN, "storm", "--jobs", "2", "--runtime", "1", "--backend",
                           "slurm", "--slurm-client", "rest", "--cluster", "", "--json",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["completed"] == 2


def test_a_refused_token_is_one_clear_line_and_exit_2(cluster: Cluster,
                                                      tmp_path: Path) -> None:
    forged = sign_jwt(b"not the cluster's key".ljust(32, b"!"), "root")
    done = wlgen("storm", "--jobs", "2", "--backend", "slurm", "--slurm-url", cluster.rest_url,
                 "--slurm-token", forged, "--out", str(tmp_path / "run"), timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and cluster.rest_url in lines[0], done.stderr
    assert "refused the token" in lines[0] and "--slurm-token" in lines[0]
    unreachable = wlgen("storm", "--jobs", "2", "--backend", "slurm", "--slurm-url",
                        "http://127.0.0.1:9", "--slurm-token", forged, timeout=60)
    assert unreachable.returncode == 1
    assert "http://127.0.0.1:9 does not answer" in unreachable.stderr


def test_ctrl_c_cancels_the_runs_jobs_through_slurmrestd(cluster: Cluster,
                                                         tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [*WLGEN, "storm", "--jobs", "12", "--runtime", "60", "--backend", "slurm",
         "--slurm-client", "rest", "--cluster", cluster.name, "--cancel-on-exit",
         "--out", str(run_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for(lambda: (run_dir / "events.jsonl").exists() and sum(
            1 for e in events_of(run_dir) if e["kind"] == "start") >= 2, 90, "jobs running")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 1, err
    settings = json.loads((run_dir / "settings.json").read_text())
    prefix = f"wlgen.{settings['run_id']}."
    # Nothing of the run is left queued or running: DELETE reached every job.
    wait_for(lambda: not _queued(cluster, prefix), 60, "the run's jobs to be gone")
    cancel_run_jobs(cluster, prefix)


def _queued(cluster: Cluster, prefix: str) -> list[str]:
    out = cluster.slurm(["squeue", "--noheader", "--format=%i|%T|%j"])
    return [line for line in out.splitlines()
            if line.split("|")[-1].startswith(prefix) and "|CANCELLED|" not in line]


# -- kept-alive connections (restclient.RestClient) --------------------------------------
def _spec(seq: int) -> JobSpec:
    return JobSpec(seq=seq, submit_s=0, procs=1, runtime_s=1, time_limit_s=60 * (seq + 1),
                   user="root")


def _request(seq: int, run_id: str) -> SubmitRequest:
    spec = _spec(seq)
    return submit_request(spec, run_id, build_batch_script(spec))


def test_each_thread_keeps_one_connection_for_all_its_requests(cluster: Cluster) -> None:
    client, _ = rest_client(cluster, None, None)
    run_id = f"ka{time.time_ns()}"
    try:
        for _ in range(10):
            client.queue()
        assert client.http.opened == 1   # one a request would be 10 (and cost each a connect)
        with ThreadPoolExecutor(4) as pool:   # the submit workers: concurrent requests
            ids = list(pool.map(lambda seq: client.submit(_request(seq, run_id), None),
                                range(12)))
        assert len(set(ids)) == 12
        assert 1 < client.http.opened <= 1 + 4   # never more than a connection a thread
        queued = [r for r in client.queue() if r.name.startswith(f"wlgen.{run_id}.")]
        assert sorted(r.job_id for r in queued) == sorted(ids)
    finally:
        cluster.slurm(["scancel", "--user=root"])
        client.close()
    assert not client.http.held


class CountingLookups(RestSlurmClient):
    """The real client, counting the look-ups by name (the reconcile before a retry)."""

    lookups = 0

    def queue(self, name: str | None = None) -> list[JobRecord]:
        if name is not None:
            self.lookups += 1
        return super().queue(name)


def test_a_restarted_slurmrestd_costs_a_get_nothing_and_a_post_a_lookup(
        cluster: Cluster) -> None:
    plain, _ = rest_client(cluster, None, None)
    client = CountingLookups(plain.http, plain.environment)
    backend = SlurmBackend(client, cluster_name=cluster.name,
                           patience=Patience(give_up_s=120))
    before_restart = ThreadPoolExecutor(1)   # a second thread with a connection of its own
    request = _request(0, f"rs{time.time_ns()}")
    try:
        client.queue()
        before_restart.submit(client.queue).result()
        assert client.http.opened == 2
        subprocess.run(["podman", "restart", cluster.container("rest")], check=True,
                       env=cluster.exec_env(), capture_output=True, timeout=120)
        fresh = RestClient(cluster.rest_url, ClusterTokens(cluster), keep_alive=False)
        wait_for(lambda: _answers(fresh, client.api.slurm("ping")), 120, "slurmrestd back")
        # A GET on the dead connection is sent again on a new one: no failure at all.
        before_restart.submit(client.queue).result()
        assert client.http.opened == 3
        # A POST is not: its job may exist, so it is looked up by its tag, then submitted.
        job_id = backend._sbatch(request, None)
        assert client.lookups == 1
        assert [r.job_id for r in client.queue(request.name)] == [job_id]   # exactly once
    finally:
        before_restart.shutdown()
        cluster.slurm(["scancel", "--user=root"])
        client.close()


def _answers(http: RestClient, path: str) -> bool:
    try:
        http.call("GET", path)
    except RestFailure:
        return False
    return True
