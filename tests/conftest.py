"""Shared fixtures: paths to the stored traces, and a tmp run directory factory.

At the start of every test session, container clusters left by earlier test sessions
that died without their teardown (SIGKILL) are removed (workload.cluster.reap: only
clusters whose owning process is certainly gone).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def pytest_sessionstart(session: pytest.Session) -> None:
    _hear_ctrl_c()
    if os.geteuid() != 0 or not shutil.which("podman"):
        return   # no rootful container cluster can have been made here
    from workload.cluster import reap

    for name in reap():
        print(f"tests: removed cluster {name} of a test session that died", file=sys.stderr)


def _hear_ctrl_c() -> None:
    """Tests of Ctrl-C send SIGINT, to this process or to a wlgen child, and expect what a
    terminal gives. A suite started in the background by a non-interactive shell (`cmd &`,
    as a CI wrapper may) inherits SIGINT ignored, and so would every child (an ignored
    signal stays ignored across exec): wlgen then rightly keeps ignoring it, as under
    nohup, and those tests would hang or fail. A handled SIGINT here resets to the default
    in children at exec."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def hpc2n() -> Path:
    return DATA / "HPC2N-2002-2.2-alea-subset.swf"


@pytest.fixture
def lublin256() -> Path:
    return DATA / "lublin_256.swf"


@pytest.fixture
def kth9() -> Path:
    return DATA / "CQSim-test-KTH-header-9jobs.swf"


@pytest.fixture
def wlgen():
    """``wlgen(*args)``: the command line run in-process through click's runner."""
    from click.testing import CliRunner

    from workload.cli.main import cli
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)
    return invoke
