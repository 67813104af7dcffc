"""Shared fixtures: paths to the stored traces, and a tmp run directory factory."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def hpc2n() -> Path:
    return DATA / "HPC2N-2002-2.2-alea-subset.swf"


@pytest.fixture
def lublin256() -> Path:
    return DATA / "lublin_256.swf"


@pytest.fixture
def kth9() -> Path:
    return DATA / "CQSim-test-KTH-header-9jobs.swf"
