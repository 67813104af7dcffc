"""The login node's client slurm.conf and release check (pure: no cluster, no munged)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workload.cluster.cluster import Cluster
from workload.cluster.config import ClusterSpec, render_slurm_conf
from workload.cluster.login import render_login_conf, same_release

SOCKET = Path("/var/lib/wlgen/clusters/c1/login/munge.socket")


def conf_of(spec: ClusterSpec) -> dict[str, str]:
    lines = render_login_conf(Cluster(spec), SOCKET).splitlines()
    return dict(line.split("=", 1) for line in lines
                if "=" in line and not line.startswith(("#", "NodeName", "PartitionName")))


def test_client_conf_names_addresses_and_the_private_socket() -> None:
    spec = ClusterSpec(name="c1", nodes=3, subnet=7)
    conf = conf_of(spec)
    assert conf["SlurmctldHost"] == "ctld(10.213.7.3)"
    assert conf["AccountingStorageHost"] == "10.213.7.2"   # db: no DNS for it on the host
    assert conf["AuthInfo"] == f"socket={SOCKET}"
    assert conf["AccountingStoragePass"] == str(SOCKET)
    assert "AuthAltTypes" not in conf and "AuthAltParameters" not in conf


def test_client_conf_keeps_everything_else_of_the_cluster() -> None:
    spec = ClusterSpec(name="c1", nodes=2, subnet=9, conf_extra="MaxJobCount=5000")
    cluster_lines = set(render_slurm_conf(spec).splitlines())
    login_lines = set(render_login_conf(Cluster(spec), SOCKET).splitlines())
    changed = {line.split("=", 1)[0] for line in cluster_lines ^ login_lines}
    assert changed == {"AuthAltTypes", "AuthAltParameters", "AccountingStorageHost",
                       "AuthInfo", "AccountingStoragePass"}


@pytest.mark.parametrize(("clients", "cluster", "same"), [
    ("slurm 22.05.8", "22.05.8", True),
    ("slurm-wlm 24.11.5", "24.11.1", True),
    ("slurm 22.05.8", "24.11.5", False),
    ("", "22.05.8", False),
])
def test_clients_must_be_of_the_clusters_release(clients: str, cluster: str,
                                                 same: bool) -> None:
    assert same_release(clients, cluster) is same


def test_login_to_a_cluster_that_was_never_started_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "workload.cli.main", "cluster", "login",
                           "--name", "nosuch"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "WLGEN_STATE_DIR": str(tmp_path)}, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "wlgen: error: no cluster named 'nosuch': start one with `wlgen cluster up --name nosuch`"]
