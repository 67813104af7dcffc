"""Pure pieces of jobs/: launcher environment, Open MPI tuning, clocks, arguments."""

from __future__ import annotations

import time

import pytest

from jobs.comm import StubComm, local_ranks, tune_environment
from jobs.registry import KERNELS, canonical_args
from jobs.timing import Clock, Stop, sleep_until


@pytest.mark.parametrize("env, expected", [
    ({}, 1),
    ({"OMPI_COMM_WORLD_LOCAL_SIZE": "3"}, 3),
    ({"SLURM_STEP_TASKS_PER_NODE": "4"}, 4),
    ({"SLURM_STEP_TASKS_PER_NODE": "2(x3),1", "SLURM_NODEID": "3"}, 1),
    ({"SLURM_STEP_TASKS_PER_NODE": "2(x3),1", "SLURM_NODEID": "1"}, 2),
])
def test_local_ranks_from_launcher_environment(env, expected):
    assert local_ranks(env) == expected


def test_yield_when_idle_only_when_ranks_outnumber_cores():
    crowded = {"OMPI_COMM_WORLD_LOCAL_SIZE": "8"}
    tune_environment(crowded, cores=2)
    assert crowded["OMPI_MCA_mpi_yield_when_idle"] == "1"
    roomy = {"OMPI_COMM_WORLD_LOCAL_SIZE": "2"}
    tune_environment(roomy, cores=2)
    assert "OMPI_MCA_mpi_yield_when_idle" not in roomy
    assert roomy["OMPI_MCA_coll_tuned_allreduce_algorithm"] == "4"  # ring: counted bytes


def test_caller_settings_win_over_defaults():
    env = {"OMPI_MCA_coll_tuned_allreduce_algorithm": "1"}
    tune_environment(env, cores=2)
    assert env["OMPI_MCA_coll_tuned_allreduce_algorithm"] == "1"


def test_phase_clock_never_outlasts_its_parent():
    parent = Clock(0.2)
    assert parent.until(parent.start + 10).end == pytest.approx(parent.end)


def test_stop_cuts_a_sleep_short():
    stop = Stop()
    clock = Clock(10.0, stop)
    stop.requested = True
    began = time.monotonic()
    sleep_until(clock, clock.end)
    assert time.monotonic() - began < 0.01 and clock.expired()


def test_stub_collectives_copy_locally():
    send, recv = bytearray(b"abc"), bytearray(3)
    StubComm().alltoall(send, recv)
    assert recv == send and StubComm().gather(5) == [5]


def test_every_kernel_accepts_its_own_defaults_canonically():
    for name, kernel in KERNELS.items():
        args = [t for o in kernel.options if o.kind is not bool and o.default is not None
                for t in (o.flag, str(o.default))]
        assert canonical_args(name, args) == canonical_args(name, canonical_args(name, args))
