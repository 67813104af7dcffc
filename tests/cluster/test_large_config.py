"""Several slurmd a container (--nodes-per-container): the slurm.conf, the node ->
container map, and the refusal of a Slurm built without multiple-slurmd."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workload.cluster import Cluster, ClusterSpec, multislurmd, proc
from workload.cluster.config import render_slurm_conf
from workload.cluster.lifecycle import container_specs
from workload.cluster.multislurmd import probe_argv, require, supported
from workload.errors import ClusterError, InputError

DATA = Path(__file__).parent / "data"


def test_one_slurmd_a_container_renders_the_slurm_conf_of_before() -> None:
    # The golden file is what the renderer wrote before --nodes-per-container existed.
    spec = ClusterSpec(name="h5-golden", nodes=8, cpus=4, mem_mb=4096, subnet=17)
    assert render_slurm_conf(spec) == (DATA / "slurm-conf-k1-golden.conf").read_text()


def test_sixteen_a_container_name_each_node_its_container_and_port() -> None:
    spec = ClusterSpec(name="h5-big", nodes=1024, nodes_per_container=16, subnet=9)
    lines = render_slurm_conf(spec).splitlines()
    nodes = [line for line in lines if line.startswith("NodeName=n")]
    assert len(nodes) == 1024 and spec.containers == 64
    assert nodes[0] == "NodeName=n1 NodeHostname=c1 NodeAddr=10.213.9.11 Port=17000"
    assert nodes[16] == "NodeName=n17 NodeHostname=c2 NodeAddr=10.213.9.12 Port=17000"
    assert nodes[-1] == "NodeName=n1024 NodeHostname=c64 NodeAddr=10.213.9.74 Port=17015"
    # Each slurmd keeps its own spool dir and pid file.
    assert "SlurmdSpoolDir=/var/lib/slurm/slurmd/%n" in lines
    assert "SlurmdPidFile=/run/slurmd-%n.pid" in lines
    assert len({(n.split()[2], n.split()[3]) for n in nodes}) == 1024   # addr+port unique


def test_a_last_container_that_is_not_full_runs_the_rest() -> None:
    spec = ClusterSpec(name="h5-odd", nodes=40, nodes_per_container=16)
    assert spec.node_hosts == ["c1", "c2", "c3"]
    assert spec.nodes_of("c3") == [f"n{i}" for i in range(33, 41)]
    assert spec.node_host("n33") == "c3" and spec.node_host("n32") == "c2"


def test_each_node_container_starts_its_nodes_and_nodes_reach_their_container() -> None:
    spec = ClusterSpec(name="h5-map", nodes=6, nodes_per_container=3)
    cluster = Cluster(spec)
    commands = {c.hostname: c.command for c in container_specs(cluster, "img")}
    assert commands == {"db": ("db",), "ctld": ("ctld",), "rest": ("rest",),
                        "c1": ("node", "n1", "n2", "n3"), "c2": ("node", "n4", "n5", "n6")}
    assert cluster.container("n5") == "h5-map-c2" == cluster.container("c2")
    with pytest.raises(ClusterError, match="no host 'n7'"):
        cluster.container("n7")


def test_one_a_container_keeps_its_node_containers_and_command() -> None:
    cluster = Cluster(ClusterSpec(name="h5-one", nodes=2))
    commands = {c.hostname: c.command for c in container_specs(cluster, "img")}
    assert commands["n1"] == ("node",) and cluster.hosts == ["db", "ctld", "rest", "n1", "n2"]


@pytest.mark.parametrize("kwargs, rule", [
    (dict(nodes=201), "--nodes must be 1..200, not 201, with one slurmd a container"),
    (dict(nodes=1024, nodes_per_container=4), "--nodes 1024 needs 256 containers"),
    (dict(nodes=5000, nodes_per_container=64), "4096 nodes"),
    (dict(nodes=8, nodes_per_container=65), "--nodes-per-container must be 1..64, not 65"),
])
def test_sizes_beyond_the_subnet_or_the_limits_are_refused(kwargs: dict, rule: str) -> None:
    with pytest.raises(ClusterError, match=rule) as refused:
        ClusterSpec(name="h5-bad", **kwargs)
    assert refused.value.exit_code == 2         # bad input, like every broken rule


def test_a_size_beyond_the_limits_is_one_line_and_exit_2(wlgen) -> None:
    result = wlgen("cluster", "up", "--name", "h5-bad", "--nodes", "300")
    assert result.exit_code == 2, result.output
    assert "--nodes must be 1..200, not 300" in result.output
    assert "Traceback" not in result.output


def test_a_build_without_the_mark_is_refused_with_exit_2() -> None:
    # grep -c's answers: a count and exit 0 with the mark; "0" and exit 1 without it.
    assert supported(0, b"1\n")
    assert not supported(1, b"0\n")
    assert not supported(2, b"grep: /usr/lib/*/slurm-wlm/libslurmfull.so: No such file\n")


@pytest.mark.parametrize("suite", [
    pytest.param(s, marks=getattr(pytest.mark, f"requires_image_{s}"))
    for s in ("bookworm", "trixie", "sid")])
def test_debian_builds_of_22_05_24_11_and_26_05_have_multiple_slurmd(suite: str) -> None:
    engine = proc.make_engine()
    image = f"localhost/wlgen-slurm:{suite}"
    done = proc.run(engine, probe_argv(engine, image), check=False, timeout=120)
    assert supported(done.returncode, done.stdout), done.stderr
    require(engine, image, suite, 16)      # no error


def test_up_refuses_a_build_without_multiple_slurmd(monkeypatch: pytest.MonkeyPatch) -> None:
    # The engine answers as grep -c does on a libslurmfull without the mark.
    def answer(engine, argv, **kwargs) -> subprocess.CompletedProcess:
        assert argv[-1].startswith("grep -c -a MULTIPLE_SLURMD")
        return subprocess.CompletedProcess(argv, 1, b"0\n", b"")
    monkeypatch.setattr(multislurmd.proc, "run", answer)
    engine = proc.make_engine()
    require(engine, "img", "bookworm", 1)     # one a container: nothing asked
    with pytest.raises(InputError, match="without --enable-multiple-slurmd") as err:
        require(engine, "img", "bookworm", 16)
    assert err.value.exit_code == 2 and "--nodes-per-container" in str(err.value)


def test_the_fabric_is_per_container_and_says_so(capsys: pytest.CaptureFixture) -> None:
    from workload.fabric.apply import topology_for
    cluster = Cluster(ClusterSpec(name="h5-fab", nodes=32, nodes_per_container=16, subnet=4))
    topo = topology_for(cluster, "flat", 100_000_000)
    assert topo.addresses == {"c1": "10.213.4.11", "c2": "10.213.4.12"}
    assert "the fabric is per container" in capsys.readouterr().err
    one = topology_for(Cluster(ClusterSpec(name="h5-fab1", nodes=2)), "flat", 100_000_000)
    assert one.nodes == ["n1", "n2"] and capsys.readouterr().err == ""
