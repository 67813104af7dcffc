"""cluster.session on real containers: reuse, cancel what it tracked, and the reaper."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.clusters import per_run_name
from workload.cluster import Cluster, ClusterSpec, down, owner, proc, session, up
from workload.cluster.cluster import LABEL
from workload.testing.require import require

from .conftest import submit_job

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root, pytest.mark.slow]


def queued(cluster: Cluster) -> set[str]:
    return set(cluster.slurm(["squeue", "--noheader", "--format=%i"]).split())


def test_a_session_on_a_running_cluster_reuses_it_and_cancels_only_its_jobs(cluster):
    other = submit_job(cluster, "--wrap", "sleep 300", "-o", "/dev/null")
    with session(cluster.spec) as current:
        assert not current.made and current.cluster.name == cluster.name
        mine = submit_job(cluster, "--wrap", "sleep 300", "-o", "/dev/null")
        current.track_job(mine)
        named = submit_job(cluster, "-J", "wlgen.sessiontest.0", "--wrap", "sleep 300",
                           "-o", "/dev/null")
        current.track_prefix("wlgen.sessiontest.")    # a run's jobs, by their names
        assert {mine, named, other} <= queued(cluster)
    left = queued(cluster)
    assert mine not in left and named not in left      # only the tracked jobs went
    assert other in left
    assert Cluster.running(cluster.name) is not None   # and the cluster stays up
    cluster.slurm(["scancel", other])


def test_a_sigkilled_session_leaves_a_cluster_that_down_stale_removes(tmp_path, monkeypatch):
    require("cluster")
    # A state dir of its own: other test sessions starting meanwhile reap leftovers of
    # the shared one, and would take this one before the `down --stale` under test.
    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path / "clusters"))
    name = per_run_name("wlgen-test") + "-kill"
    child = textwrap.dedent(f"""
        import os, signal
        from workload.cluster import ClusterSpec, session
        with session(ClusterSpec(name={name!r}, nodes=1, cpus=1, mem_mb=512)):
            os.kill(os.getpid(), signal.SIGKILL)       # no teardown, no down
    """)
    try:
        done = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=300)
        assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
        assert Cluster.running(name) is not None and name in owner.stale()
        wlgen = [sys.executable, "-m", "workload.cli.main", "cluster", "down", "--stale"]
        reaped = subprocess.run(wlgen, capture_output=True, text=True, timeout=300)
        assert reaped.returncode == 0, reaped.stderr
        assert name in reaped.stderr
        assert Cluster.running(name) is None
        engine = proc.make_engine("podman")
        assert not engine.parse_containers(
            proc.text(engine, engine.list_containers(f"{LABEL}={name}")))
    finally:
        down(name)


def test_a_session_that_made_its_cluster_removes_it_and_one_kept_is_no_leftover():
    require("cluster")
    name = per_run_name("wlgen-test") + "-own"
    spec = ClusterSpec(name=name, nodes=1, cpus=1, mem_mb=512)
    try:
        with session(spec, keep=True) as current:
            assert current.made and owner.owner_of(name) == owner.me()
        assert Cluster.running(name) is not None and owner.owner_of(name) is None
        with session(spec, fresh=True) as current:
            assert current.made
        assert Cluster.running(name) is None
    finally:
        down(name)


def test_two_downs_of_one_cluster_at_once_both_succeed():
    """Two test sessions reaping the same leftover race to remove its containers and
    network: whichever comes second finds them gone, which is what it wanted."""
    require("cluster")
    name = per_run_name("wlgen-test") + "-twice"
    up(ClusterSpec(name=name, nodes=1, cpus=1, mem_mb=512), timeout=300)
    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: down(name), range(2)))
        assert True in results                       # at least one found it
        engine = proc.make_engine("podman")
        assert not engine.parse_containers(
            proc.text(engine, engine.list_containers(f"{LABEL}={name}")))
        assert not proc.text(engine, engine.network_list(f"{LABEL}={name}"))
    finally:
        down(name)

