"""A submit that raises what no rule expects (a bug, not Slurm's answer) never strands
its worker: the group's jobs end REJECTED with the error's words, and the same worker
submits the next group."""

from __future__ import annotations

import threading
import time

import simpy

from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.pool import SubmitPool
from workload.cluster import wait_for
from workload.event import END, REJECTED, SUBMIT, Event
from workload.spec import JobSpec

from tests.slurm.test_runner_seam import SBATCH_OK, SPEC, Scripted


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
    backend = SlurmBackend(CliClient(runner), cluster_name="fake", workers=1,
                           arrays=False, say=said.append)
    backend.attach(simpy.Environment(), events.append, time.time(), "t1")
    try:
        assert backend.watcher is not None
        backend.watcher.stop()
        backend.submit(SPEC)
        backend.submit(SPEC.with_(seq=1))
        wait_for(lambda: 1 in backend.tracker.tracks, 30, "the second job's sbatch")
    finally:
        backend.close()
    assert [(e.kind, e.seq, e.state) for e in events] == [(SUBMIT, 0, "PENDING"),
                                                          (END, 0, REJECTED)]
    assert "RuntimeError: relay protocol: unexpected frame" in events[1].reason
    assert backend.tracker.tracks[1].job_id == "1258"
    assert runner.calls.count("sbatch") == 2
    assert [line for line in said if "failed to submit" in line and "seq 0" in line]
