"""The engine argv builders: the whole podman/docker difference, tested without an engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workload.cluster.engine import PODMAN_CONF, ContainerSpec, Engine

SPEC = ContainerSpec(
    name="c1-n1", image="localhost/wlgen-slurm:bookworm", hostname="n1", network="c1-net",
    ip="10.213.7.11", command=("node",), hosts={"ctld": "10.213.7.3", "n1": "10.213.7.11"},
    labels={"wlgen.cluster": "c1"}, env={"A": "1"},
    mounts=(("/state/etc", "/run/wlgen/etc", True), ("/data", "/data", False)),
    publish=(("127.0.0.1", 40000, 6820),), shm_size="256m")


@pytest.mark.parametrize("name", ["podman", "docker"])
def test_run_argv_is_a_list_with_every_setting(name: str) -> None:
    argv = Engine(name).run(SPEC)
    assert argv[:3] == [name, "run", "-d"]
    assert argv[-2:] == ["localhost/wlgen-slurm:bookworm", "node"]
    pairs = list(zip(argv, argv[1:]))
    for pair in [("--name", "c1-n1"), ("--hostname", "n1"), ("--network", "c1-net"),
                 ("--ip", "10.213.7.11"), ("--add-host", "ctld:10.213.7.3"),
                 ("--label", "wlgen.cluster=c1"), ("--env", "A=1"),
                 ("-v", "/state/etc:/run/wlgen/etc:ro"), ("-v", "/data:/data"),
                 ("-p", "127.0.0.1:40000:6820"), ("--shm-size", "256m"),
                 ("--ulimit", "nofile=20000:20000")]:
        assert pair in pairs


def test_podman_env_carries_the_projects_containers_conf() -> None:
    env = Engine("podman", Path("/x/containers.conf")).env({"PATH": "/bin"})
    assert env == {"PATH": "/bin", "CONTAINERS_CONF": "/x/containers.conf"}
    assert "CONTAINERS_CONF" not in Engine("docker").env({"PATH": "/bin"})


def test_podman_conf_has_the_settings_this_host_needs() -> None:
    for line in ['runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"',
                 'network_backend = "netavark"', "nofile=20000:20000",
                 "exit_command_delay = 10"]:
        assert line in PODMAN_CONF


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="podman, docker"):
        Engine("lxc")


def test_remove_skips_the_stop_grace_on_podman() -> None:
    assert Engine("podman").remove(["a", "b"]) == ["podman", "rm", "-f", "-t", "0", "a", "b"]
    assert Engine("docker").remove(["a"]) == ["docker", "rm", "-f", "a"]


def test_parse_containers_reads_both_engines_output() -> None:
    podman = json.dumps([{"Names": ["c1-db"], "State": "running"},
                         {"Names": ["c1-n1"], "State": "exited"}])
    docker = "\n".join(json.dumps(r) for r in [{"Names": "c1-db", "State": "running"},
                                               {"Names": "c1-n1", "State": "exited"}])
    want = {"c1-db": "running", "c1-n1": "exited"}
    assert Engine("podman").parse_containers(podman) == want
    assert Engine("docker").parse_containers(docker) == want
    assert Engine("podman").parse_containers("") == {}


@pytest.mark.parametrize("name", ["podman", "docker"])
def test_exec_build_and_network_argv(name: str) -> None:
    eng = Engine(name)
    assert eng.exec("c1-ctld", ["sinfo", "-N"], interactive=True, tty=True, user="bob") == \
        [name, "exec", "-i", "-t", "--user", "bob", "c1-ctld", "sinfo", "-N"]
    build = eng.build(Path("/ctx"), Path("/ctx/containers/Containerfile"), "img:1",
                      {"BASE": "b"}, {"wlgen.context": "abc"})
    assert build[:4] == [name, "build", "--network", "host"]
    assert ("--build-arg", "BASE=b") in list(zip(build, build[1:])) and build[-1] == "/ctx"
    assert eng.network_create("c1-net", "10.213.7.0/24", {"wlgen.cluster": "c1"}) == \
        [name, "network", "create", "--driver", "bridge", "--subnet", "10.213.7.0/24",
         "--label", "wlgen.cluster=c1", "c1-net"]


def test_only_no_such_image_counts_as_a_missing_image() -> None:
    # docker exits 1 for a missing image and for a daemon it cannot reach alike.
    assert Engine("podman").image_missing(1, b"")
    assert not Engine("podman").image_missing(125, b"Error: cannot connect")
    assert Engine("docker").image_missing(1, b"Error: No such image: localhost/x:1")
    assert not Engine("docker").image_missing(
        1, b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock.")
