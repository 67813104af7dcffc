"""A job its sacct source shows cancelled while running is cancelled at the same point
of its run on real Slurm (issue 16): the watcher sends scancel ``cancel_after_s`` after
Slurm's own start time, and the batch script's payload runs past that point.

At the Runner seam: squeue answers with stored real 26.05 output (tests/slurm/data/gpu/
26.05/squeue.txt: job 2, ``wlgen.gpucap.1``, running since 1796392469).
"""

from __future__ import annotations

import threading
from pathlib import Path

from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.contact import Contact
from workload.backends.slurm.pack import array_script
from workload.backends.slurm.runner import Done, Runner
from workload.backends.slurm.script import CANCEL_MARGIN_S, runtime_arg
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.watcher import Watcher
from workload.spec import JobSpec

SQUEUE = Path(__file__).parent / "data" / "gpu" / "26.05" / "squeue.txt"
STARTED = 1796392469.0
SPEC = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=12, time_limit_s=600,
               cancel_after_s=12.0)


class StoredSqueue(Runner):
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def run(self, argv, *, input=None, user=None, timeout=60) -> Done:
        self.calls.append(list(argv))
        return Done(0, SQUEUE.read_text() if argv[0] == "squeue" else "", "")


def watch(spec: JobSpec) -> tuple[Watcher, StoredSqueue, Tracker]:
    runner, tracker = StoredSqueue(), Tracker()
    tracker.add(0, "2", spec, "batch", (0.0, 0.0))
    watcher = Watcher(CliClient(runner), tracker, threading.Lock(), "wlgen.gpucap.",
                      lambda e: None, Contact("fake", 60))
    return watcher, runner, tracker


def test_a_job_past_its_cancel_point_is_cancelled_once() -> None:
    watcher, runner, tracker = watch(SPEC)
    watcher.poll()                       # started at STARTED, now long past STARTED + 12
    watcher.poll()
    assert [c for c in runner.calls if c[0] == "scancel"] == [["scancel", "2"]]
    assert watcher.cancelled == 1 and tracker.next_cancel() is None


def test_a_job_before_its_cancel_point_waits_and_says_when() -> None:
    watcher, runner, tracker = watch(SPEC.with_(cancel_after_s=1e9))
    watcher.poll()
    assert not [c for c in runner.calls if c[0] == "scancel"]
    assert tracker.next_cancel() == STARTED + 1e9


def test_a_job_not_cancelled_in_its_source_is_never_cancelled() -> None:
    watcher, runner, tracker = watch(SPEC.with_(cancel_after_s=None))
    watcher.poll()
    assert not [c for c in runner.calls if c[0] == "scancel"] and tracker.next_cancel() is None


def test_the_payload_runs_past_the_cancel_point() -> None:
    assert float(runtime_arg(SPEC)) == 12 + CANCEL_MARGIN_S
    assert float(runtime_arg(SPEC.with_(cancel_after_s=None))) == 12
    # In an array, each task's own run time (the cancelled job's is not shared).
    script = array_script([SPEC.with_(cancel_after_s=None), SPEC.with_(seq=1)])
    assert f"RUNTIMES=(12.0 {12 + CANCEL_MARGIN_S:.1f})" in script
