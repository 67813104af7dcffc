"""Dependencies through the Slurm backend at the Runner seam (no cluster): a child is
held while its parent's sbatch has not answered, even with idle workers, then sent with
the parent's Slurm id; a job Slurm shows pending with DependencyNeverSatisfied (stored
real 24.11 squeue output, tests/slurm/data/README.md) is cancelled by the watcher and
ends CANCELLED with that reason."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import simpy

from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.contact import Contact
from workload.backends.slurm.runner import Done
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.watcher import Watcher
from workload.cluster import wait_for
from workload.event import CANCELLED, END
from workload.spec import JobSpec

from tests.slurm.seam import seam_backend
from tests.slurm.test_runner_seam import SBATCH_OK, Scripted, read

PARENT = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, user="u1",
                 source_id=500)
CHILD = PARENT.with_(seq=1, source_id=501, depends=(("afterok", (500,)),))


class SlowParent:
    """sbatch answers: the parent's (by default job wlgen.t1.0, ``slow`` picks another)
    only once ``go`` is set; job ids 1258, 1259..."""

    def __init__(self, slow: Callable[[Sequence[str]], bool] = lambda argv:
                 "--job-name=wlgen.t1.0" in argv) -> None:
        self.go, self.argvs, self.slow = threading.Event(), [], slow
        self.asked = threading.Event()     # the parent's sbatch is in flight
        self.next_id = 1258

    def __call__(self, argv: Sequence[str]) -> Done:
        if self.slow(argv):
            self.asked.set()
            assert self.go.wait(60), "the test never let the parent's sbatch answer"
        self.argvs.append(list(argv))
        job_id, self.next_id = self.next_id, self.next_id + 1
        return Done(0, SBATCH_OK.out.replace("1258", str(job_id)), "")


def test_a_child_waits_for_its_parents_answer_then_names_its_id() -> None:
    sbatch = SlowParent()
    with seam_backend(Scripted(sbatch=[sbatch]), workers=4, arrays=False,
                      epoch=0.0) as backend:
        backend.submit(PARENT)
        backend.submit(CHILD)                  # 3 idle workers: it still may not go
        assert backend.parents.waiting() == 1 and sbatch.argvs == []
        sbatch.go.set()
        wait_for(lambda: len(sbatch.argvs) == 2, 30, "both sbatch calls")
        parent_argv, child_argv = sbatch.argvs
        assert not [a for a in parent_argv if a.startswith("--dependency")]
        assert "--dependency=afterok:1258" in child_argv
        assert backend.parents.waiting() == 0


def test_a_dependency_never_satisfied_is_cancelled_and_ends_with_that_reason() -> None:
    pending = Done(0, read("squeue_never_24.11.txt"), "")
    cancelled = Done(0, read("squeue_never_cancelled_24.11.txt"), "")
    runner = Scripted(squeue=[pending, cancelled], scancel=[Done(0, "", "")])
    tracker, events = Tracker(), []
    tracker.add(1, "32", CHILD, "batch", (0.0, 0.0))
    watcher = Watcher(CliClient(runner), tracker, threading.Lock(), "wlgen.dep.",
                      events.append, Contact("fake", 60))
    watcher.poll()
    assert runner.calls.count("scancel") == 1 and watcher.never == 1
    watcher.poll()
    end = [e for e in events if e.kind == END]
    assert [(e.state, e.reason) for e in end] == [(CANCELLED, "DependencyNeverSatisfied")]
    assert not [e for e in events if e.kind == "start"]   # it never ran
    assert runner.calls.count("scancel") == 1   # once: then Slurm shows it ended


def test_after_a_cancel_nothing_more_reaches_slurm_and_in_flight_jobs_are_cancelled() -> None:
    # Ctrl-C with --cancel-on-exit: the runner cancels the jobs it saw submitted (none
    # yet), then closes. The parent's sbatch answers in between: its job is cancelled
    # at close, and its held child is never sent (it used to be, and kept running).
    sbatch, cancels = SlowParent(), []

    def scancel(argv: Sequence[str]) -> Done:
        cancels.append(list(argv))
        return Done(0, "", "")
    backend = SlurmBackend(CliClient(Scripted(sbatch=[sbatch], scancel=[scancel])),
                           cluster_name="fake", workers=4, arrays=False,
                           say=lambda line: None)
    backend.attach(simpy.Environment(), lambda e: None, 0.0, "t1")
    assert backend.watcher is not None
    backend.watcher.stop()
    backend.submit(PARENT)
    backend.submit(CHILD)
    assert sbatch.asked.wait(30), "the parent's sbatch never started"
    backend.cancel([])
    sbatch.go.set()
    backend.close()
    assert [a for argv in sbatch.argvs for a in argv if a.startswith("--job-name")] == [
        "--job-name=wlgen.t1.0"]
    assert ["scancel", "1258"] in cancels
