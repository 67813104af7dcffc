"""The submit pool's packing: same key and same instant share one call, nothing else."""

from __future__ import annotations

import threading

from workload.backends.slurm.pool import SubmitPool
from workload.spec import JobSpec


def run_pool(items: list[tuple[JobSpec, float]]) -> list[tuple[list[int], float]]:
    calls: list[tuple[list[int], float]] = []
    gate = threading.Event()

    def work(specs: list[JobSpec], intended: float) -> None:
        gate.wait(5)   # hold the single worker until everything is queued
        calls.append(([s.seq for s in specs], intended))
    pool = SubmitPool(work, workers=1, key=lambda s: s.user, max_group=3)
    blocker = JobSpec(seq=-1, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, user="b")
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
