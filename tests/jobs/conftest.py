"""Fixtures for the jobs/ kernel tests."""

from __future__ import annotations

import shutil

import pytest
from kernel_runner import finish, start


@pytest.fixture
def run_kernel():
    """Run a kernel to completion: ``run_kernel(["cpu", "--seconds", "1"], ranks=2)``."""
    return lambda args, ranks=0: finish(start(args, ranks))


@pytest.fixture
def require_mpirun() -> None:
    if shutil.which("mpirun") is None:
        pytest.skip("mpirun not on PATH (Open MPI: .ci/setup.d/15-mpi.sh)")
    pytest.importorskip("mpi4py", reason="mpi4py not installed (pip install '.[mpi]')")
