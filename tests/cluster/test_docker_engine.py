"""`wlgen cluster --engine docker` for real: the docker CLI against podman's Docker API.

No Docker engine runs here, so the module starts `podman system service` on a private
socket (with wlgen's own containers.conf, so runc, cgroupfs and the ulimits apply) and
points DOCKER_HOST at it. Every engine command of these tests then goes docker CLI ->
Docker API -> podman: the docker argv builders meet a real Docker API. podman's store is
the API's store, so the image built for the podman engine is reused, not rebuilt.
Skips with a reason when not root or podman, runc or the docker CLI are missing (CI
installs the CLI with .ci/setup.d/22-docker-cli.sh and never starts dockerd).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clusters import per_run_name, session_cluster
from tests.slurm.test_rest_backend import WLGEN, wlgen
from workload.cluster import Cluster, ClusterSpec, images, proc, wait_for
from workload.cluster.engine import Engine
from workload.errors import ClusterError

from workload.testing.require import require

from .conftest import wait_for_end

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root]

DOCKER_CLUSTER = per_run_name("wlgen-docker")
LABEL = "wlgen.cluster"
STORM_JOBS = 10
submitted: list[str] = []  # jobs the tests submit, cancelled at teardown


@pytest.fixture(scope="module")
def docker_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DOCKER_HOST of a private `podman system service`, set for this module only."""
    require("cluster", "docker_cli")
    where = tmp_path_factory.mktemp("podman-api")
    url = f"unix://{where / 'podman.sock'}"
    podman = proc.make_engine("podman")
    with (where / "service.log").open("wb") as log:
        service = subprocess.Popen(["podman", "system", "service", "--time=0", url],
                                   env=podman.env(os.environ), stdout=log, stderr=log)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DOCKER_HOST", url)
            patch.delenv("DOCKER_CONTEXT", raising=False)  # would win over DOCKER_HOST
            wait_for(lambda: _api_answers(service, where / "service.log"), 30,
                     f"podman's Docker API on {url}")
            yield url
    finally:
        service.terminate()
        try:
            service.wait(15)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait(5)


def _api_answers(service: subprocess.Popen, log: Path) -> bool:
    if service.poll() is not None:
        raise ClusterError(f"podman system service exited {service.returncode}: "
                           f"{proc.last_line(log.read_text())}")
    return subprocess.run(["docker", "version"], capture_output=True,
                          check=False).returncode == 0


@pytest.fixture(scope="module")
def docker() -> Engine:
    return proc.make_engine("docker")


@pytest.fixture(scope="module")
def cluster(docker_host: str) -> Iterator[Cluster]:
    """2 nodes x 4 CPUs, bookworm, run through the docker engine; removed at the end."""
    spec = ClusterSpec(name=DOCKER_CLUSTER, nodes=2, cpus=4, mem_mb=1024, engine="docker")
    with session_cluster(spec, submitted) as handle:
        yield handle


def test_the_podman_built_image_is_reused_not_rebuilt(docker_host: str,
                                                      docker: Engine) -> None:
    podman = proc.make_engine("podman")
    image = images.ensure_image(podman, "bookworm")  # current, as any podman cluster has it
    said: list[str] = []
    assert images.ensure_image(docker, "bookworm", progress=said.append) == image
    assert said == []  # no debootstrap, no build: the same store, the same context label
    assert images.image_id(docker, image) == "sha256:" + str(images.image_id(podman, image))


def test_nodes_are_idle_and_every_container_is_dockers(cluster: Cluster,
                                                       docker: Engine) -> None:
    assert cluster.engine.name == "docker"
    assert cluster.node_states() == {"n1": "idle", "n2": "idle"}
    out = proc.text(docker, docker.list_containers(f"{LABEL}={cluster.name}"))
    states = docker.parse_containers(out)
    assert states == {cluster.spec.container(h): "running" for h in cluster.hosts}


def test_cli_exec_and_a_job_go_through_docker(cluster: Cluster) -> None:
    done = wlgen("cluster", "exec", "--name", cluster.name, "ctld", "--", "sinfo", "-h",
                 "-o", "%D %T")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "idle"]
    done = wlgen("cluster", "exec", "--name", cluster.name, "ctld", "--", "sbatch",
                 "--parsable", "--wrap", "hostname")
    assert done.returncode == 0, done.stderr
    job = done.stdout.strip().split(";")[0]
    submitted.append(job)
    assert wait_for_end(cluster, job)["state"] == "COMPLETED"
    # The same exec with no Docker API behind DOCKER_HOST fails: it went through docker.
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    dead = subprocess.run([*WLGEN, "cluster", "exec", "--name", cluster.name, "ctld", "--",
                           "true"], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert dead.returncode != 0 and "Cannot connect to the Docker daemon" in dead.stderr


def test_storm_accounts_for_every_job(cluster: Cluster, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = wlgen("storm", "--jobs", str(STORM_JOBS), "--runtime", "1-2", "--size", "1-4",
                 "--backend", "slurm", "--cluster", cluster.name, "--json",
                 "--out", str(run_dir))
    assert done.returncode == 0, done.stderr
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["submitted"] == metrics["completed"] == STORM_JOBS, metrics
    accounting = json.loads((run_dir / "accounting.json").read_text())
    assert accounting["by_state"] == {"COMPLETED": STORM_JOBS}
    assert accounting["unaccounted_seqs"] == []


def test_a_build_through_the_api_is_labelled_and_removable(docker_host: str,
                                                           docker: Engine,
                                                           tmp_path: Path) -> None:
    (tmp_path / "Containerfile").write_text("ARG BASE\nFROM $BASE\nRUN echo built > /b\n")
    tag = f"localhost/{DOCKER_CLUSTER}-build:test"
    argv = docker.build(tmp_path, tmp_path / "Containerfile", tag,
                        {"BASE": images.slurm_image("bookworm")}, {"wlgen.context": "x1"})
    try:
        proc.run(docker, argv, timeout=300, context_lines=12)
        assert images.image_exists(docker, tag)
        assert proc.text(docker, docker.image_label(tag, "wlgen.context")) == "x1"
    finally:
        proc.run(docker, docker.image_remove([tag]), check=False)
    assert not images.image_exists(docker, tag)  # the API's "No such image": missing


def test_an_unreachable_docker_host_is_an_error_not_a_build(docker: Engine,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    require("docker_cli")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'none.sock'}")
    said: list[str] = []
    with pytest.raises(ClusterError, match="docker image inspect.*Cannot connect to the "
                                           "Docker daemon"):
        images.ensure_image(docker, "bookworm", progress=said.append)
    assert said == []  # no debootstrap, no build


def test_cli_up_and_down_leave_nothing_in_docker_or_podman(docker_host: str,
                                                           docker: Engine) -> None:
    name = DOCKER_CLUSTER + "-down"
    wlgen("cluster", "down", "--name", name, "--engine", "docker")
    try:
        done = wlgen("cluster", "up", "--engine", "docker", "--nodes", "1", "--cpus", "1",
                     "--mem", "256", "--name", name, timeout=300)
        assert done.returncode == 0, done.stderr
        assert Cluster.load(name).node_states() == {"n1": "idle"}
    finally:
        done = wlgen("cluster", "down", "--name", name)
    assert done.returncode == 0, done.stderr
    podman = proc.make_engine("podman")  # its own containers.conf: netavark's networks
    for engine in (docker, podman):
        label = f"{LABEL}={name}"
        assert engine.parse_containers(proc.text(engine, engine.list_containers(label))) \
            == {}, engine.name
        assert proc.text(engine, engine.network_list(label)) == "", engine.name
    with pytest.raises(ClusterError, match="no cluster named"):
        Cluster.load(name)
