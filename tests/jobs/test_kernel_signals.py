"""SIGTERM, --fail-exit, --overrun: the FAILED, TIMEOUT and CANCELLED paths."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from kernel_runner import ROOT, finish, near, start, wait_for_sigterm_handler


@pytest.mark.parametrize("kernel", ["cpu", "sleep", "io", "ring"])
def test_sigterm_prints_record_and_exits_143(kernel):
    proc = start([kernel, "--seconds", "30"])
    wait_for_sigterm_handler(proc.pid)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    run = finish(proc, timeout=10)
    assert run.code == 143
    assert run.record["terminated"] is True and run.record["exit_code"] == 143
    assert run.record["runtime_s"] < 5


def test_overrun_ignores_target_until_killed():
    proc = start(["cpu", "--seconds", "0.1", "--duty", "0.2", "--overrun"])
    wait_for_sigterm_handler(proc.pid)
    time.sleep(1.0)
    assert proc.poll() is None, "an overrunning kernel must still be running"
    proc.send_signal(signal.SIGTERM)
    run = finish(proc, timeout=10)
    assert run.code == 143 and run.record["target_s"] is None
    assert run.record["runtime_s"] > 0.9


def test_fail_exit_after_a_full_run(run_kernel):
    run = run_kernel(["sleep", "--seconds", "0.3", "--fail-exit", "3"])
    assert run.code == 3
    assert run.record["exit_code"] == 3 and run.record["terminated"] is False
    assert run.record["runtime_s"] == near(0.3)


@pytest.mark.mpi
@pytest.mark.requires_mpi
def test_sigterm_to_mpirun_stops_all_ranks_together():
    proc = start(["allreduce", "--seconds", "60", "--size", "1024"], ranks=2)
    time.sleep(3)  # mpirun's ranks cannot be polled portably; start-up takes < 1 s here
    proc.send_signal(signal.SIGTERM)
    run = finish(proc, timeout=20)
    assert run.code != 0
    assert run.record["terminated"] is True and run.record["ranks"] == 2


@pytest.mark.parametrize("kernel", ["sleep", "cpu", "io", "memory"])
def test_runs_without_mpi4py(kernel):
    # A None entry in sys.modules makes "import mpi4py" raise ImportError.
    code = ("import runpy, sys; sys.modules['mpi4py'] = None; "
            "runpy.run_module('jobs', run_name='__main__', alter_sys=True)")
    proc = subprocess.Popen([sys.executable, "-c", code, kernel, "--seconds", "0.3"],
                            cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run = finish(proc)
    assert run.code == 0, run.stderr
    assert run.record["kernel"] == kernel and run.record["ranks"] == 1
