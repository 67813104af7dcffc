"""The workload as Slurm received it (workload.compare.received), and stored real runs of
the validation scenarios load for judging."""

from __future__ import annotations

from workload.backends.base import ClusterInfo, NodeInfo
from workload.checks.observed import Observed
from workload.checks.semantics import semantics_of
from workload.compare.received import TIE_STEP_S, received, received_times
from workload.event import COMPLETED, END, PENDING, RUNNING, START, SUBMIT, Event
from workload.spec import JobSpec

CLUSTER = ClusterInfo("t", (NodeInfo("n1", 8, 16_000, ("batch",)),))


def _real(seq, job_id, submit, start, end):
    """One job's events as the Slurm backend writes them: whole-second times."""
    out = [Event(SUBMIT, submit, seq, job_id, PENDING, "u1", "batch", 2)]
    if start is not None:
        out += [Event(START, start, seq, job_id, RUNNING, "u1", "batch", 2, ("n1",)),
                Event(END, end, seq, job_id, COMPLETED, "u1", "batch", 2, ("n1",))]
    return out


def _spec(seq, submit, runtime, limit=60.0):
    return JobSpec(seq=seq, submit_s=submit, procs=2, runtime_s=runtime, time_limit_s=limit)


def test_jobs_get_slurms_submit_order_and_elapsed_times():
    # The first sbatch was late (1000 s on the epoch clock): seq 0-2 reached slurmctld
    # in the same second, seq 2 first (job id 5), then 0 (6), then 1 (7); seq 3 one
    # second later. Elapsed: seq 0 ran 4 s (asked 3: 1 s launch overhead), seq 1 ran 70
    # s but its limit is 60 (cut to the limit), seq 2 ran 2 s; seq 3 never started.
    events = (_real(0, "6", 1000.0, 1000.0, 1004.0) + _real(1, "7", 1000.0, 1001.0, 1071.0)
              + _real(2, "5", 1000.0, 1000.0, 1002.0) + _real(3, "8", 1001.0, None, None))
    times = received_times(Observed(events, CLUSTER))
    assert times == {2: (0.0, 2.0), 0: (TIE_STEP_S, 4.0), 1: (2 * TIE_STEP_S, 70.0),
                     3: (1.0, None)}
    scenario = [_spec(0, 0.0, 3.0), _spec(1, 0.3, 65.0), _spec(2, 0.7, 2.0),
                _spec(3, 4.5, 9.0), _spec(4, 9.0, 5.0)]
    out = list(received(scenario, times))
    assert [(s.seq, s.submit_s, s.runtime_s) for s in out] == [
        (2, 0.0, 2.0), (0, TIE_STEP_S, 4.0), (1, 2 * TIE_STEP_S, 60.0),
        (3, 1.0, 9.0),          # never ran on Slurm: its own run time
        (4, 9.0, 5.0)]          # never submitted on Slurm: unchanged


def test_runs_recorded_with_a_full_release_are_judged_by_their_release():
    # Real runs of the validation scenarios recorded slurm_version "22.05.8" and no
    # scheduler record; the container's 22.05 settings judge them (bf_interval 5).
    sem = semantics_of({"backend": "slurm", "cluster": {"slurm_version": "22.05.8"}})
    assert sem.slurm and sem.bf_interval_s == 5
