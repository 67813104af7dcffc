"""The submit pool's packing: same key and same instant share one call, nothing else."""

from __future__ import annotations

import threading

import pytest

from workload.backends.slurm.pool import SubmitPool
from workload.errors import InputError
from workload.spec import JobSpec


NOTHING_DUE = -1e9   # a wall clock before every instant below: the run keeps up


def run_pool(items: list[tuple[JobSpec, float]], now: float = NOTHING_DUE
             ) -> list[tuple[list[int], float]]:
    calls: list[tuple[list[int], float]] = []
    gate = threading.Event()

    def work(specs: list[JobSpec], intended: float) -> None:
        gate.wait(5)   # hold the single worker until everything is queued
        calls.append(([s.seq for s in specs], intended))
    pool = SubmitPool(work, workers=1, key=lambda s: s.user, max_group=3, clock=lambda: now)
    blocker = JobSpec(seq=-1, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, user="x")
    pool.put(blocker, -1.0)
    for spec, when in items:
        pool.put(spec, when)
    gate.set()
    pool.stop()
    return calls[1:]


def spec(seq: int, user: str) -> JobSpec:
    return JobSpec(seq=seq, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, user=user)


def test_same_key_same_instant_are_grouped_up_to_the_cap_in_order() -> None:
    calls = run_pool([(spec(i, "a" if i % 2 else "b"), 0.0) for i in range(8)])
    assert calls == [([0, 2, 4], 0.0), ([1, 3, 5], 0.0), ([6], 0.0), ([7], 0.0)]


def test_a_later_instant_is_never_pulled_into_an_earlier_group() -> None:
    calls = run_pool([(spec(0, "a"), 0.0), (spec(1, "a"), 1.0), (spec(2, "a"), 1.0)])
    assert calls == [([0], 0.0), ([1, 2], 1.0)]


def test_behind_schedule_a_worker_takes_the_due_groups_of_its_key_in_one_call() -> None:
    # Five instants queued behind a busy worker, all due by now (1.5 s), one not yet (9.0):
    # the due jobs of one key go together, up to the cap, the rest keep their order.
    items = [(spec(0, "a"), 0.0), (spec(1, "b"), 0.5), (spec(2, "a"), 1.0),
             (spec(3, "a"), 1.0), (spec(4, "a"), 1.5), (spec(5, "a"), 9.0), (spec(6, "b"), 1.2),
             (spec(7, "c"), 20.0)]
    calls = run_pool(items, now=1.5)
    assert calls == [([0, 2, 3], 0.0), ([1, 6], 0.5), ([4], 1.5), ([5], 9.0), ([7], 20.0)]


def test_the_group_still_filling_is_never_taken_by_catch_up() -> None:
    # A storm being put while a worker catches up: its instant's group keeps filling
    # (one array), even though it is due.
    items = [(spec(0, "a"), 0.0), (spec(1, "a"), 1.0), (spec(2, "a"), 1.0)]
    assert run_pool(items, now=5.0) == [([0], 0.0), ([1, 2], 1.0)]


def test_a_job_whose_key_fails_goes_alone_and_the_others_still_pack() -> None:
    def key(s: JobSpec) -> str:
        if s.seq == 1:
            raise InputError("bad limit", field="time_limit_s", value=-1)
        return s.user
    calls: list[list[int]] = []
    gate = threading.Event()

    def work(specs: list[JobSpec], intended: float) -> None:
        gate.wait(5)
        calls.append([s.seq for s in specs])
    pool = SubmitPool(work, workers=1, key=key, max_group=10, clock=lambda: NOTHING_DUE)
    pool.put(spec(-1, "b"), -1.0)   # the worker holds this one until all are queued
    for i in range(4):
        pool.put(spec(i, "a"), 0.0)
    gate.set()
    pool.stop()
    assert calls[1:] == [[0, 2, 3], [1]]


def test_jobs_put_after_their_group_was_taken_start_a_new_group() -> None:
    taken = threading.Event()
    release = threading.Event()
    calls: list[list[int]] = []

    def work(specs: list[JobSpec], intended: float) -> None:
        calls.append([s.seq for s in specs])
        taken.set()
        release.wait(5)
    pool = SubmitPool(work, workers=1, key=lambda s: s.user, max_group=10,
                      clock=lambda: NOTHING_DUE)
    pool.put(spec(0, "a"), 0.0)
    assert taken.wait(5)
    pool.put(spec(1, "a"), 0.0)   # same key and instant, but group 0 is already in Slurm
    pool.put(spec(2, "a"), 0.0)
    release.set()
    pool.stop()
    assert calls == [[0], [1, 2]]


def test_a_key_that_fails_for_any_other_reason_is_a_bug_and_says_so() -> None:
    def key(s: JobSpec) -> str:
        raise KeyError("a bug in the key, not bad input")
    pool = SubmitPool(lambda specs, intended: None, workers=1, key=key, max_group=10)
    try:
        with pytest.raises(KeyError):
            pool.put(spec(0, "a"), 0.0)
    finally:
        pool.stop()
