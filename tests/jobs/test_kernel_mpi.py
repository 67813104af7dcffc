"""Collective kernels under ``mpirun --oversubscribe``: lock-step stop and byte counts."""

from __future__ import annotations

import pytest
from kernel_runner import KEYS, near

pytestmark = [pytest.mark.mpi, pytest.mark.requires_mpi]
SIZE = 4096


def job_bytes_per_iteration(kernel: str, n: int, size: int) -> int:
    """The documented totals (jobs/network.py), written out independently here."""
    return {
        "allreduce": 2 * (n - 1) * size,
        "alltoall": n * (n - 1) * size,
        "ring": n * size,
        "halo": 2 * n * size,
        "pingpong": 2 * size * (n // 2),
    }[kernel]


@pytest.mark.parametrize("kernel", ["allreduce", "alltoall", "ring", "halo", "pingpong"])
def test_two_ranks_stop_together_and_count_bytes(run_kernel, kernel):
    run = run_kernel([kernel, "--seconds", "1", "--size", str(SIZE)], ranks=2)
    assert run.code == 0, run.stderr
    assert len(run.lines) == 1  # rank 0 only
    record = run.record
    assert KEYS <= record.keys() and record["ranks"] == 2
    assert record["iterations"] > 0
    assert record["bytes_sent"] == record["iterations"] * job_bytes_per_iteration(kernel, 2, SIZE)
    assert record["runtime_s"] == near(1.0)


@pytest.mark.parametrize("kernel", ["allreduce", "pingpong"])
def test_odd_rank_count(run_kernel, kernel):
    record = run_kernel([kernel, "--seconds", "0.5", "--size", "1000"], ranks=3).record
    assert record["bytes_sent"] == record["iterations"] * job_bytes_per_iteration(kernel, 3, 1000)


def test_mixed_phases_with_collectives(run_kernel):
    run = run_kernel(["mixed", "--seconds", "1.2", "--phase-s", "0.3",
                      "--kernels", "cpu,allreduce,sleep,halo", "--size", "1024"], ranks=2)
    assert run.code == 0, run.stderr
    assert run.record["bytes_sent"] > 0
    assert run.record["runtime_s"] == near(1.2)
