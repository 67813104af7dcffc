"""Which Slurm a run means: a named container cluster, the default one, or this host's."""

from __future__ import annotations

import pytest

from workload.backends.select import DEFAULT_CLUSTER, target_cluster


def test_a_named_cluster_wins_over_slurm_conf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CONF", "/etc/slurm/slurm.conf")
    assert target_cluster("prod") == "prod"


def test_unnamed_means_the_default_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLURM_CONF", raising=False)
    assert target_cluster(None) == DEFAULT_CLUSTER


def test_unnamed_with_slurm_conf_means_this_hosts_clients(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CONF", "/etc/slurm/slurm.conf")
    assert target_cluster(None) is None


def test_an_empty_name_means_this_hosts_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLURM_CONF", raising=False)
    assert target_cluster("") is None


# -- the one factory ------------------------------------------------------------------

def _info():
    from workload.backends.sim import make_cluster_info
    return make_cluster_info(2, 4, 8000)


def test_the_factory_builds_the_simulator_plain_or_with_a_scenarios_faults() -> None:
    from workload.backends.sim import SimBackend
    from workload.backends.sim.faults import ScenarioSim
    from workload.backends.select import make_backend
    from workload.fault import Fault

    plain = make_backend("sim", _info(), policy="fcfs")
    assert isinstance(plain, SimBackend) and plain.describe().total_cpus == 8
    assert not plain.realtime and make_backend("sim", _info(), realtime=True).realtime
    faulty = make_backend("sim", _info(), faults=[Fault(5, "node_down", node="n1")],
                          requeue=False)
    assert isinstance(faulty, ScenarioSim) and not faulty.requeue
    assert [f.action for f in faulty.faults] == ["node_down"]


def test_faults_on_slurm_need_a_running_container_cluster(monkeypatch, tmp_path) -> None:
    from workload.backends.select import make_backend
    from workload.errors import BackendError, InputError
    from workload.fault import Fault

    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))      # no cluster at all
    with pytest.raises(BackendError, match="'wlgen-none' is not running"):
        make_backend("slurm", _info(), cluster="wlgen-none",
                     faults=[Fault(5, "node_down", node="n1")])
    with pytest.raises(InputError, match="sim or slurm"):
        make_backend("auto", _info())


def test_auto_without_any_slurm_is_the_simulator(monkeypatch, tmp_path) -> None:
    from workload.backends.select import choose

    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))                 # no scontrol
    assert choose("auto", cluster="wlgen-none") == ("sim", "no Slurm reachable")
    assert choose("slurm") == ("slurm", "asked for")


def test_a_cluster_never_started_is_not_running(monkeypatch, tmp_path) -> None:
    from workload.cluster import Cluster

    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    assert Cluster.running("wlgen-none") is None
