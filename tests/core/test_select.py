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
