"""A submit that raises what no rule expects (a bug, not Slurm's answer) never strands
its worker: the group's jobs end REJECTED with the error's words, and the same worker
submits the next group."""

from __future__ import annotations

import threading


from workload.backends.slurm.pool import SubmitPool
from workload.backends.slurm.runner import Done
from workload.cluster import wait_for
from workload.event import END, REJECTED, SUBMIT, Event
from workload.spec import JobSpec

from tests.slurm import test_runner_seam
from tests.slurm.seam import seam_backend
from tests.slurm.test_runner_seam import QUEUE_FULL, SBATCH_OK, SPEC, Scripted

# The seam's fixtures: a backend with a fake clock (no real waiting).
clock, make = test_runner_seam.clock, test_runner_seam.make


def test_a_raising_work_goes_to_failed_and_the_only_worker_lives_on() -> None:
    done: list[int] = []
    failed: list[tuple[list[int], str]] = []
    finished = threading.Event()

    def work(specs: list[JobSpec], intended: float) -> None:
        if specs[0].seq == 0:
            raise KeyError("a bug")
        done.append(specs[0].seq)
        finished.set()
    pool = SubmitPool(work, 1, failed=lambda specs, at, error: failed.append(
        ([s.seq for s in specs], repr(error))))
    try:
        pool.put(SPEC, 0.0)
        pool.put(SPEC.with_(seq=1), 1.0)
        assert finished.wait(30), "the worker never took the second group"
    finally:
        pool.stop()
    assert failed == [([0], "KeyError('a bug')")] and done == [1]


def test_a_runner_that_raises_rejects_that_job_with_the_reason_and_the_next_goes() -> None:
    events: list[Event] = []
    said: list[str] = []
    runner = Scripted(sbatch=[RuntimeError("relay protocol: unexpected frame"), SBATCH_OK])
    with seam_backend(runner, emit=events.append, say=said.append, workers=1,
                      arrays=False) as backend:
        backend.submit(SPEC)
        backend.submit(SPEC.with_(seq=1))
        wait_for(lambda: 1 in backend.tracker.tracks, 30, "the second job's sbatch")
    assert [(e.kind, e.seq, e.state) for e in events] == [(SUBMIT, 0, "PENDING"),
                                                          (END, 0, REJECTED)]
    assert "RuntimeError: relay protocol: unexpected frame" in events[1].reason
    assert backend.tracker.tracks[1].job_id == "1258"
    assert runner.calls.count("sbatch") == 2
    assert [line for line in said if "failed to submit" in line and "seq 0" in line]


def test_a_raise_among_the_jobs_of_a_split_array_rejects_that_job_once(make) -> None:
    # The array meets a full queue and goes job by job; the second job's sbatch raises.
    # It ends REJECTED once, the first and third are submitted, nothing else is decided
    # twice (the pool's handler would have rejected the whole group again).
    runner = Scripted(sbatch=[QUEUE_FULL, Done(0, "70\n", ""), RuntimeError("boom"),
                              Done(0, "72\n", "")])
    backend, emitted = make(runner)
    backend._submit_group([SPEC.with_(seq=s) for s in range(3)], 0.0)
    assert backend.tracker.unfinished() == {0: "70", 2: "72"}
    assert [(e.kind, e.seq, e.state) for e in emitted] == [(SUBMIT, 1, "PENDING"),
                                                           (END, 1, REJECTED)]
    assert "RuntimeError: boom" in emitted[1].reason
