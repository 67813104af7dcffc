"""`wlgen cluster` against real podman and real Slurm (bookworm, 22.05)."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
import time
import urllib.request

import pytest

from workload.cluster import Cluster, ClusterSpec, down, up, wait_for
from workload.cluster import proc
from workload.cluster.images import slurm_image
from workload.cluster.secrets import JWT_KEY, MUNGE_KEY
from workload.cluster.state import cluster_dir
from workload.errors import ClusterError

from workload.testing.require import require

from .conftest import TEST_CLUSTER, sacct_job, submit_job, wait_for_end

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root]


def test_every_node_is_idle_and_advertises_its_cpus(cluster: Cluster) -> None:
    assert cluster.node_states() == {"n1": "idle", "n2": "idle"}
    out = cluster.slurm(["sinfo", "-h", "-N", "-o", "%N %c %m"])
    assert out.split("\n")[0].split() == ["n1", "4", "1024"]  # more CPUs than the host has
    info = cluster.describe()
    assert info.total_cpus == 8 and info.slurm_version == cluster.slurm_version
    assert cluster.slurm_version.startswith("22.05.")


def test_two_node_job_completes_in_sacct_json(cluster: Cluster) -> None:
    job = submit_job(cluster, "-N2", "--wrap", "srun hostname")
    assert wait_for_end(cluster, job)["state"] == "COMPLETED"
    # Seen here: a job that ends within its start second is briefly recorded with only
    # its batch host as NodeList; the record settles a moment later.
    wait_for(lambda: sacct_job(cluster, job)["nodes"] == "n[1-2]", 10, f"job {job} NodeList")


def test_mpi_job_runs_across_nodes_with_pmix(cluster: Cluster) -> None:
    code = "from mpi4py import MPI; c = MPI.COMM_WORLD; print(c.Get_rank(), c.Get_size())"
    job = submit_job(cluster, "-N2", "-n4", "--output=/tmp/mpi-%j.out", "--wrap",
                     f"srun --mpi=pmix python3 -c '{code}'")
    assert wait_for_end(cluster, job)["state"] == "COMPLETED"
    out = cluster.exec("n1", ["cat", f"/tmp/mpi-{job}.out"], check=True).stdout.decode()
    assert sorted(out.split("\n")[:4]) == ["0 4", "1 4", "2 4", "3 4"]


def test_jobs_package_is_importable_in_the_image(cluster: Cluster) -> None:
    done = cluster.exec("n1", ["python3", "-c", "import jobs, mpi4py; print(jobs.__file__)"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("/opt/wlgen/jobs/")


def test_slurmrestd_accepts_the_clusters_jwt(cluster: Cluster) -> None:
    assert cluster.rest_url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(cluster.rest_url + "/slurm/v0.0.38/ping", headers={
        "X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": cluster.token("root")})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["meta"]["Slurm"]["release"] == cluster.slurm_version
    forged = urllib.request.Request(cluster.rest_url + "/slurm/v0.0.38/ping", headers={
        "X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": cluster.token()[:-4] + "AAAA"})
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(forged, timeout=10)


def test_keys_are_0600_and_never_in_the_image(cluster: Cluster) -> None:
    keys = cluster_dir(cluster.name) / "secrets"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    contents = []
    for name in (MUNGE_KEY, JWT_KEY):
        path = keys / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        contents.append(path.read_bytes())
    assert _scan_image(cluster, [c[:32] for c in contents]) == [], "a key is in the image"
    find = ["find", "/", "-xdev", "(", "-name", "munge.key", "-o", "-name", "jwt*.key", ")"]
    done = proc.run(cluster.engine, ["podman", "run", "--rm", "--entrypoint", find[0],
                                     slurm_image(cluster.spec.suite), *find[1:]])
    assert done.stdout.decode().split() == []


def _scan_image(cluster: Cluster, needles: list[bytes]) -> list[bytes]:
    """Stream the image's whole filesystem (podman export) and look for each needle."""
    engine = cluster.engine
    image = slurm_image(cluster.spec.suite)
    created = proc.text(engine, ["podman", "create", "--entrypoint", "true", image])
    try:
        export = subprocess.Popen(["podman", "export", created], stdout=subprocess.PIPE,
                                  env=engine.env({"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}))
        found, tail, keep = set(), b"", max(len(n) for n in needles)
        while chunk := export.stdout.read(1 << 22):
            window = tail + chunk
            found.update(n for n in needles if n in window)
            tail = window[-keep:]
        assert export.wait() == 0
    finally:
        proc.run(engine, ["podman", "rm", "-f", created])
    return sorted(found)


def test_up_again_is_a_no_op_and_a_new_shape_is_refused(cluster: Cluster) -> None:
    key = cluster_dir(cluster.name) / "secrets" / MUNGE_KEY
    before = hashlib.sha256(key.read_bytes()).digest()
    started = time.monotonic()
    again = up(ClusterSpec(name=cluster.name, nodes=2, cpus=4, mem_mb=1024))
    assert time.monotonic() - started < 5
    assert again.rest_url == cluster.rest_url
    assert hashlib.sha256(key.read_bytes()).digest() == before  # nothing was recreated
    with pytest.raises(ClusterError, match="already up with 2 nodes"):
        up(ClusterSpec(name=cluster.name, nodes=3, cpus=4, mem_mb=1024))


def test_cli_exec_runs_a_command_and_returns_its_exit_code(cluster: Cluster) -> None:
    wlgen = [sys.executable, "-c", "from workload.cli.main import main; main()"]
    done = subprocess.run([*wlgen, "cluster", "exec", "--name", cluster.name, "ctld", "--",
                           "sinfo", "-h", "-o", "%D"], capture_output=True, timeout=60)
    assert done.returncode == 0 and done.stdout.decode().strip() == "2"
    done = subprocess.run([*wlgen, "cluster", "exec", "--name", cluster.name, "n2", "--",
                           "sh", "-c", "exit 3"], capture_output=True, timeout=60)
    assert done.returncode == 3
    done = subprocess.run([*wlgen, "cluster", "status", "--name", cluster.name, "--json"],
                          capture_output=True, timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["nodes"]["n2"] == "idle"


def test_users_exist_with_one_uid_everywhere_and_run_jobs(cluster: Cluster) -> None:
    uids = cluster.add_users(["alice", "bob"])
    assert cluster.add_users(["bob"]) == {"bob": uids["bob"]}  # idempotent
    for host in cluster.hosts:
        out = cluster.exec(host, ["id", "-u", "bob"], check=True).stdout.decode().strip()
        assert int(out) == uids["bob"]
    job = submit_job(cluster, "--uid=alice", "--chdir=/tmp", "--wrap", "id -un")
    assert wait_for_end(cluster, job)["state"] == "COMPLETED"
    user = cluster.slurm(["sacct", "-n", "-X", "-P", "-o", "User", "-j", job]).strip()
    assert user == "alice"


def test_a_stale_handle_adds_users_without_reusing_a_uid(cluster: Cluster) -> None:
    stale = Cluster.load(cluster.name)
    taken = Cluster.load(cluster.name).add_users(["dave"])["dave"]   # another handle, later
    carol = stale.add_users(["carol"])["carol"]
    assert carol != taken
    out = cluster.exec("ctld", ["id", "-u", "carol"], check=True).stdout.decode().strip()
    assert int(out) == carol


def test_a_daemon_that_fails_is_named_with_its_log() -> None:
    require("cluster")
    name = TEST_CLUSTER + "-bad"
    try:
        with pytest.raises(ClusterError) as failed:
            up(ClusterSpec(name=name, nodes=1, cpus=1, mem_mb=256,
                           conf_extra="SchedulerType=sched/nonexistent"), timeout=60)
        message = str(failed.value)
        assert message.startswith("slurmctld on ctld stopped")
        assert "sched/nonexistent" in message and "last lines of its log" in message
    finally:
        down(name)


def test_down_leaves_nothing_and_twice_is_a_no_op() -> None:
    require("cluster")
    name = TEST_CLUSTER + "-down"
    handle = up(ClusterSpec(name=name, nodes=1, cpus=1, mem_mb=256), timeout=120)
    engine = handle.engine
    assert down(name) is True
    label = f"wlgen.cluster={name}"
    assert engine.parse_containers(proc.text(engine, engine.list_containers(label))) == {}
    assert proc.text(engine, engine.network_list(label)) == ""
    volumes = proc.text(engine, ["podman", "volume", "ls", "-q"])
    assert name not in volumes
    assert not cluster_dir(name).exists()
    assert down(name) is False
    with pytest.raises(ClusterError, match="no cluster named"):
        Cluster.load(name)
