"""Each kernel, single rank, as a real subprocess: keys, runtime and exit code."""

from __future__ import annotations

import pytest
from kernel_runner import KEYS, TOLERANCE

from jobs.registry import KERNELS

SECONDS = 0.8


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_prints_one_record_and_ends_near_target(run_kernel, name):
    run = run_kernel([name, "--seconds", str(SECONDS)])
    assert run.code == 0, run.stderr
    assert len(run.lines) == 1
    assert KEYS <= run.record.keys()
    assert run.record["kernel"] == name and run.record["ranks"] == 1
    assert run.record["runtime_s"] == pytest.approx(SECONDS, rel=TOLERANCE)
    assert run.record["terminated"] is False


@pytest.mark.parametrize("duty", [0.25, 1.0])
def test_cpu_duty_is_cpu_time_over_runtime(run_kernel, duty):
    record = run_kernel(["cpu", "--seconds", "1", "--duty", str(duty)]).record
    assert record["duty"] == pytest.approx(record["cpu_s"] / record["runtime_s"], rel=1e-3)
    assert record["duty"] == pytest.approx(duty, abs=0.1)


def test_memory_and_io_report_bytes_moved(run_kernel, tmp_path):
    memory = run_kernel(["memory", "--seconds", "0.3", "--mib", "8"]).record
    assert memory["mem_bytes"] == memory["iterations"] * (1 << 20)
    io = run_kernel(["io", "--seconds", "0.3", "--dir", str(tmp_path), "--file-mib", "1"])
    assert io.record["io_write_bytes"] > 0
    assert list(tmp_path.iterdir()) == []  # the kernel removes its files


def test_single_rank_sends_no_bytes(run_kernel):
    assert run_kernel(["ring", "--seconds", "0.2"]).record["bytes_sent"] == 0


def test_rate_paces_the_exchanges(run_kernel):
    record = run_kernel(["ring", "--seconds", "1", "--rate", "50"]).record
    assert record["iterations"] == pytest.approx(50, abs=3)


def test_usage_error_exits_2(run_kernel):
    run = run_kernel(["cpu", "--seconds", "1", "--duty", "1.5"])
    assert run.code == 2 and "--duty must be in" in run.stderr
