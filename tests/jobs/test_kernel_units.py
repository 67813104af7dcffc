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


def test_mpi_only_under_a_launcher():
    from jobs.comm import launched
    assert not launched({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "1"})   # a bare batch script
    assert launched({"OMPI_COMM_WORLD_SIZE": "2"})                     # mpirun
    assert launched({"PMIX_RANK": "0", "SLURM_STEP_ID": "0"})          # srun --mpi=pmix
    assert launched({"WLGEN_MPI": "1"})


def test_a_bare_single_rank_job_starts_no_mpi_daemon(tmp_path):
    """With mpi4py installed, a one-rank job without a launcher must not init MPI (an
    Open MPI singleton forks an orted per job): mpi4py is never imported."""
    import json
    import subprocess
    import sys
    code = ("import runpy, sys; sys.argv = ['jobs', 'sleep', '--seconds', '0.1']\n"
            "try:\n    runpy.run_module('jobs', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('MPI' if 'mpi4py.MPI' in sys.modules else 'no MPI', file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert json.loads(done.stdout.splitlines()[-1])["ranks"] == 1, done.stdout + done.stderr
    assert done.stderr.strip().endswith("no MPI"), done.stderr
