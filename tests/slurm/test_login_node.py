"""The CLI backend's login-node path: this host's own Slurm clients (SLURM_CONF), no relay.

`wlgen cluster login` makes the host a login node of the session's container cluster
(a munged with the cluster's key, a client slurm.conf); then `wlgen storm --backend auto`
with that environment and no `--cluster` must find Slurm by `scontrol ping` and submit
with the host's sbatch, exactly as on a real cluster's login node. Needs the host's
slurm-client and munge of the cluster's release (CI: .ci/setup.d/25-slurm-client.sh).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from workload.cluster import Cluster, login

from .test_rest_backend import WLGEN, events_of

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root,
              pytest.mark.requires_slurm_clients]


@pytest.fixture(scope="module")
def login_env(cluster: Cluster) -> Iterator[dict[str, str]]:
    """The environment `eval "$(wlgen cluster login)"` gives a shell, parsed from its
    output; the login munged is stopped at the end (the cluster outlives this module)."""
    done = subprocess.run([*WLGEN, "cluster", "login", "--name", cluster.name],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    env = dict(parse_export(line) for line in done.stdout.splitlines())
    yield env
    login.stop(cluster.dir)


def parse_export(line: str) -> tuple[str, str]:
    """``export KEY=VALUE`` (VALUE shell-quoted) -> (KEY, VALUE)."""
    word, assignment = shlex.split(line)
    assert word == "export", line
    key, _, value = assignment.partition("=")
    return key, value


def login_status(cluster: Cluster) -> str | None:
    """What `wlgen cluster status --json` says of the login node."""
    done = subprocess.run([*WLGEN, "cluster", "status", "--name", cluster.name, "--json"],
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)["login"]


def host_slurm(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, f"{argv}: {done.stderr}"
    return done.stdout


def test_login_lines_set_slurm_conf_and_what_jobs_need(login_env: dict[str, str],
                                                      cluster: Cluster) -> None:
    assert Path(login_env["SLURM_CONF"]).is_file()
    assert login_env["PYTHONPATH"] == login.JOBS_PATH
    key = (cluster.dir / "secrets" / "munge.key").read_bytes()
    conf = Path(login_env["SLURM_CONF"]).read_bytes()
    assert key not in conf and b"jwt" not in conf.lower()   # no secret in the client conf
    assert login_status(cluster) == login_env["SLURM_CONF"]


def test_host_clients_see_the_cluster(login_env: dict[str, str], cluster: Cluster) -> None:
    nodes = host_slurm(login_env, "sinfo", "--noheader", "--Node", "--format=%N").split()
    assert sorted(set(nodes)) == sorted(cluster.spec.node_names)
    assert "is UP" in host_slurm(login_env, "scontrol", "ping")


def test_storm_from_the_login_node(login_env: dict[str, str], cluster: Cluster,
                                   tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [*WLGEN, "storm", "--jobs", "30", "--runtime", "1-2", "--size", "1-2",
         "--backend", "auto", "--out", str(run_dir), "--json"],
        env={**os.environ, **login_env}, capture_output=True, text=True, timeout=300,
        check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "backend: slurm (scontrol ping answered)" in done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["submitted"] == metrics["completed"] == 30, metrics
    assert metrics["unaccounted"] == 0
    ends = [event for event in events_of(run_dir) if event["kind"] == "end"]
    assert len(ends) == 30 and {e["exit_code"] for e in ends} == {0}
    # The host's sbatch asks for no memory: the cluster's DefMemPerCPU must keep a job
    # from taking a whole node's, so jobs share nodes.
    assert most_jobs_at_once_on_a_node(ends, events_of(run_dir)) >= 2
    # Submitted by this host's sbatch, not through the relay in the controller: Slurm
    # records the submitting host as the job's AllocNode ("ctld" for the relay).
    job = ends[0]["job_id"]
    shown = cluster.slurm(["scontrol", "show", "job", job])
    alloc_node = re.search(r"AllocNode:Sid=([^:\s]+):", shown)
    assert alloc_node and alloc_node.group(1) not in cluster.hosts, shown


def most_jobs_at_once_on_a_node(ends: list[dict], events: list[dict]) -> int:
    """The most jobs that ran at the same time on one node (strict overlap of seconds)."""
    started = {e["seq"]: e["time"] for e in events if e["kind"] == "start"}
    spans = [(node, started[e["seq"]], e["time"]) for e in ends for node in e["nodes"]]
    return max(sum(1 for other, begin, end in spans
                   if other == node and begin <= moment < end)
               for node, moment, _ in spans)


def test_login_is_idempotent_and_down_stops_its_munged(login_env: dict[str, str],
                                                       cluster: Cluster) -> None:
    pid = login.munged_pid(cluster)
    assert pid is not None
    assert login.start(cluster) == login_env and login.munged_pid(cluster) == pid
    assert login.stop(cluster.dir)
    assert login.munged_pid(cluster) is None and not login.munged_running(pid)
    assert login_status(cluster) is None
    login.start(cluster)   # back for the tests after this one
    assert login.munged_pid(cluster) not in (None, pid)
