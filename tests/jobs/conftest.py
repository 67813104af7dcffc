"""Fixtures for the jobs/ kernel tests."""

from __future__ import annotations

import pytest
from kernel_runner import finish, start


@pytest.fixture
def run_kernel():
    """Run a kernel to completion: ``run_kernel(["cpu", "--seconds", "1"], ranks=2)``."""
    return lambda args, ranks=0: finish(start(args, ranks))
