"""slurm.conf / slurmdbd.conf rendering, addresses and names: pure functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.cluster.config import ClusterSpec, render_slurm_conf, render_slurmdbd_conf
from workload.cluster.images import build_args, context_digest, context_files
from workload.errors import ClusterError


def conf_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_slurm_conf_has_the_settings_the_harness_relies_on() -> None:
    text = render_slurm_conf(ClusterSpec(name="c1", nodes=3, cpus=32, mem_mb=8192, subnet=7))
    lines = conf_lines(text)
    for want in ["ClusterName=c1", "SlurmctldHost=ctld(10.213.7.3)", "AuthAltTypes=auth/jwt",
                 "SlurmdParameters=config_overrides", "TmpFS=/var/spool/wlgen/%n/tmp",
                 "AccountingStorageType=accounting_storage/slurmdbd",
                 "NodeName=DEFAULT CPUs=32 RealMemory=8192 State=UNKNOWN",
                 "NodeName=n1 NodeAddr=10.213.7.11", "NodeName=n3 NodeAddr=10.213.7.13"]:
        assert want in lines
    assert any(line.startswith("SchedulerParameters=batch_sched_delay=0") for line in lines)
    assert lines[-1].startswith("PartitionName=batch Nodes=ALL Default=YES")
    keys = [line.split("=", 1)[0] for line in lines if not line.startswith(("NodeName", "Part"))]
    assert len(keys) == len(set(keys)), "a key set twice leaves Slurm to pick one"


def test_conf_extra_is_appended_verbatim() -> None:
    text = render_slurm_conf(ClusterSpec(conf_extra="PreemptType=preempt/qos\n"))
    assert text.rstrip().endswith("PreemptType=preempt/qos")


def test_slurmdbd_conf_needs_no_password() -> None:
    lines = conf_lines(render_slurmdbd_conf(ClusterSpec()))
    assert "StorageUser=slurm" in lines and "DbdHost=db" in lines
    assert not any(line.startswith("StoragePass") for line in lines)


def test_hosts_have_fixed_distinct_addresses() -> None:
    spec = ClusterSpec(nodes=200, subnet=42)
    hosts = spec.hosts()
    assert hosts["db"] == "10.213.42.2" and hosts["ctld"] == "10.213.42.3"
    assert hosts["rest"] == "10.213.42.4" and hosts["n200"] == "10.213.42.210"
    assert len(set(hosts.values())) == len(hosts) == 203
    assert spec.container("n5") == "wlgen-n5" and spec.network == "wlgen-net"


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "Bad_Name"}, "cluster name"), ({"nodes": 0}, "--nodes"),
    ({"nodes": 201}, "--nodes"), ({"cpus": 0}, "--cpus"), ({"mem_mb": 10}, "--mem"),
    ({"suite": "buster"}, "--slurm")])
def test_bad_shapes_are_refused_with_the_rule(kwargs: dict, message: str) -> None:
    with pytest.raises(ClusterError, match=message):
        ClusterSpec(**kwargs)


def test_spec_round_trips_through_its_dict() -> None:
    spec = ClusterSpec(name="c2", nodes=5, subnet=9, rest_port=4000, conf_extra="X=1")
    assert ClusterSpec.from_dict({**spec.to_dict(), "unknown": 1}) == spec


def _fake_checkout(root: Path) -> Path:
    (root / "containers").mkdir(parents=True)
    (root / "jobs" / "__pycache__").mkdir(parents=True)
    for rel in ("containers/Containerfile", "containers/entrypoint.sh", "jobs/__init__.py"):
        (root / rel).write_text(rel)
    (root / "jobs" / "__pycache__" / "x.pyc").write_text("cache")
    return root


def test_image_digest_follows_jobs_and_build_args(tmp_path: Path) -> None:
    root = _fake_checkout(tmp_path)
    first = context_digest(root, "bookworm", "base:1")
    assert first == context_digest(root, "bookworm", "base:1")
    assert [str(p) for p in context_files(root)][-1] == "jobs/__init__.py"  # no caches
    (root / "jobs" / "__init__.py").write_text("changed")
    assert context_digest(root, "bookworm", "base:1") != first
    assert context_digest(root, "trixie", "base:1") != context_digest(root, "bookworm", "base:1")


def test_newer_suites_get_bookworms_mariadb_client_for_slurmdbd() -> None:
    assert build_args("bookworm", "b")["MARIADB_CLIENT_FROM"] == ""
    assert build_args("trixie", "b")["MARIADB_CLIENT_FROM"] == "bookworm"
    assert build_args("sid", "b")["BASE"] == "b"


def test_extra_scheduler_parameters_merge_with_ours():
    from workload.cluster.config import ClusterSpec, render_slurm_conf
    conf = render_slurm_conf(ClusterSpec(name="t", conf_extra=(
        "SchedulerParameters=bf_window=60,bf_interval=30,pack_serial_at_end\n"
        "PriorityWeightAge=5")))
    (line,) = [x for x in conf.splitlines() if x.startswith("SchedulerParameters=")]
    assert line == ("SchedulerParameters=batch_sched_delay=0,bf_interval=30,bf_window=60,"
                    "pack_serial_at_end")
    # A key we set is replaced where it stands (one PriorityWeightAge line, not two).
    assert [x for x in conf.splitlines() if x.startswith("PriorityWeightAge=")] == \
        ["PriorityWeightAge=5"]
    assert "# --conf-extra" not in conf


def test_jobs_that_ask_for_no_memory_share_a_node() -> None:
    conf = render_slurm_conf(ClusterSpec(cpus=4, mem_mb=4096))
    assert "DefMemPerCPU=1024" in conf.splitlines()


def test_conf_extra_cannot_smuggle_a_second_line() -> None:
    # issue 14 item 6: a value with a control character would write its own line.
    from workload.errors import InputError
    for bad in ("SchedulerParameters=bf_interval=5\x0bSlurmctldHost=evil",
                "PriorityWeightAge=1\x00", "PriorityWeightAge=1\r\nSlurmUser=root"):
        with pytest.raises(InputError, match="control character|NUL or CR"):
            render_slurm_conf(ClusterSpec(conf_extra=bad))


def test_conf_extra_repeatable_keys_add_lines_and_others_replace() -> None:
    conf = render_slurm_conf(ClusterSpec(conf_extra=(
        "PartitionName=debug Nodes=n1 PriorityTier=2\nMinJobAge=60\nX=1\nX=2\n")))
    lines = conf.splitlines()
    assert "PartitionName=debug Nodes=n1 PriorityTier=2" in lines
    assert sum(x.startswith("PartitionName=") for x in lines) == 2
    assert [x for x in lines if x.startswith("MinJobAge=")] == ["MinJobAge=60"]
    assert [x for x in lines if x.startswith("X=")] == ["X=2"]
