"""What a test needs of this machine, in one place: each need names why it is missing.

Every need in ``REQUIREMENTS`` is a marker of the pytest plugin (``requires_<need>``:
the test is skipped with the reason) and can be asked for from a fixture with
``require("<need>", ...)``. ``missing(*needs)`` gives the first reason, or None.

    @pytest.mark.requires_cluster          # root, podman, runc: a container cluster
    def test_up(...): ...

    @pytest.fixture
    def carbon(...):
        require("graphite")

Every reason says how this project installs what is missing (.ci/setup.d/).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from workload.cluster.config import SUITES

SETUP = ".ci/setup.d"
SYSTEM_PYTHON = "/usr/bin/python3"   # Debian's: the one that sees graphite-web's Django
GRAPHITE_WEB = "/usr/lib/python3/dist-packages/graphite"


def absent(*tools: str) -> list[str]:
    """The tools of ``tools`` that are not installed (paths, or names on PATH)."""
    return [t for t in tools if not (Path(t).exists() if "/" in t else shutil.which(t))]


def _tools(*tools: str, step: str) -> Callable[[], str | None]:
    def probe() -> str | None:
        gone = absent(*tools)
        return f"{', '.join(gone)} not installed ({SETUP}/{step} installs it)" if gone \
            else None
    return probe


def missing_root() -> str | None:
    return None if os.geteuid() == 0 else "needs root (rootful containers, tc, namespaces)"


def missing_container_engine() -> str | None:
    if shutil.which("podman") or shutil.which("docker"):
        return None
    return "needs podman or Docker (neither is on PATH)"


def missing_cluster_capability() -> str | None:
    """Why a containerised Slurm cluster can't be brought up here, or None."""
    return missing("root", "podman", "runc")


def missing_slurm() -> str | None:
    """A Slurm to talk to: a running wlgen cluster or this host's Slurm."""
    from workload.backends.select import DEFAULT_CLUSTER, slurm_reachable
    from workload.cluster import Cluster

    if Cluster.running(DEFAULT_CLUSTER) or slurm_reachable():
        return None
    return "needs Slurm: no wlgen cluster running and scontrol ping finds no controller UP"


def missing_mpi() -> str | None:
    reason = _tools("mpirun", step="15-mpi.sh")()
    if reason:
        return reason
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py not installed (pip install -e '.[dev]')"
    return None


def missing_slurm_clients() -> str | None:
    """This host's own Slurm clients and munge, as a login node uses them."""
    from workload.cluster.login import HOST_TOOLS
    return _tools(*HOST_TOOLS, step="25-slurm-client.sh")()


def _slurm_image(suite: str) -> Callable[[], str | None]:
    """The suite's Slurm image, already built: a test skips rather than build one (from
    nothing, over a minute per suite)."""
    def probe() -> str | None:
        from workload.cluster import images, proc

        engine_missing = missing_container_engine()
        if engine_missing:
            return engine_missing
        image = images.slurm_image(suite)
        if images.image_exists(proc.make_engine(), image):
            return None
        return (f"{image} is not built ({SETUP}/30-slurm-images.sh builds it; "
                f"or wlgen cluster build --slurm {suite})")
    return probe


def missing_ibsim() -> str | None:
    from workload.fabric.ibsim import missing as ibsim_missing
    return ibsim_missing()


REQUIREMENTS: dict[str, Callable[[], str | None]] = {
    "root": missing_root,
    "podman": missing_container_engine,
    "runc": _tools("runc", step="20-podman.sh"),
    "cluster": missing_cluster_capability,
    "slurm": missing_slurm,
    "docker_cli": _tools("docker", step="22-docker-cli.sh"),
    "fabric": _tools("tc", "ip", "nsenter", "ethtool", step="45-fabric.sh"),
    "ibsim": missing_ibsim,
    "mpi": missing_mpi,
    "graphite": _tools("carbon-cache", SYSTEM_PYTHON, GRAPHITE_WEB, step="40-monitoring.sh"),
    "rsyslog": _tools("rsyslogd", step="40-monitoring.sh"),
    "chromium": _tools("chromium", step="50-chromium.sh"),
    "slurm_clients": missing_slurm_clients,
    **{f"image_{suite}": _slurm_image(suite) for suite in SUITES},
}

DESCRIPTIONS = {
    "root": "running as root",
    "podman": "podman or Docker installed",
    "runc": "runc installed (podman's runtime here)",
    "cluster": "root, podman and runc: a container cluster can come up",
    "slurm": "a Slurm controller answers (a running wlgen cluster or scontrol ping)",
    "docker_cli": "the docker CLI installed",
    "fabric": "tc, ip, nsenter and ethtool installed",
    "ibsim": "ibsim, opensm and infiniband-diags installed",
    "mpi": "Open MPI's mpirun and mpi4py installed",
    "graphite": "carbon-cache and graphite-web installed",
    "rsyslog": "rsyslogd installed",
    "chromium": "Debian's chromium installed",
    "slurm_clients": "this host's Slurm clients (sbatch) and munged installed",
    **{f"image_{suite}": f"the Slurm {release} image ({suite}) is built"
       for suite, release in SUITES.items()},
}


def missing(*needs: str) -> str | None:
    """The first reason one of ``needs`` is missing here, or None when all are there."""
    for need in needs:
        if need not in REQUIREMENTS:
            raise ValueError(f"unknown need {need!r}; known: {', '.join(REQUIREMENTS)}")
        reason = REQUIREMENTS[need]()
        if reason:
            return reason
    return None


def require(*needs: str) -> None:
    """Skip the calling test (or fixture) with the reason when a need is missing."""
    import pytest

    reason = missing(*needs)
    if reason:
        pytest.skip(reason)
