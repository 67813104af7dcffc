"""Review findings on dependencies through the Slurm backend (issue 16), at the Runner
seam: the ``--dependency`` sbatch gets is the one rendered when the job was judged
sendable; each job is decided once, also when releasing a child fails; released children
of one shape still share an array; a job whose retries the stop ended is never
submitted (its children too); a refused heterogeneous job counts all its CPUs."""

from __future__ import annotations

import threading
import time

from workload.backends.slurm.runner import Done
from workload.cluster import wait_for
from workload.event import END, FAILED, REJECTED, SUBMIT, Event
from workload.spec import Component

from tests.slurm.seam import seam_backend
from tests.slurm.test_depends_seam import CHILD, PARENT, SlowParent
from tests.slurm.test_runner_seam import QUEUE_FULL, Scripted

# sbatch's refusal of a bad account (its words as test_command.py files them: REJECT).
INVALID_ACCOUNT = Done(1, "", "sbatch: error: Batch job submission failed: Invalid account "
                              "or account/partition combination specified\n")


def test_a_parent_failing_after_the_child_was_judged_stays_in_its_dependency() -> None:
    # The watcher notes the parent's FAILED end between the sendable check and the
    # request: the child must still name it (Slurm judges it), never go without.
    sbatch = SlowParent(lambda argv: False)
    with seam_backend(Scripted(sbatch=[sbatch]), workers=1, arrays=False) as backend:
        real = backend._sendable

        def sendable(specs):  # type: ignore[no-untyped-def]
            out = real(specs)
            sent = out[0] if isinstance(out, tuple) else out   # (as before the fix: a list)
            if any(s.seq == CHILD.seq for s in sent):
                backend.parents.ended(PARENT.seq, FAILED)   # the watcher, at this moment
            return out
        backend._sendable = sendable  # type: ignore[method-assign]
        backend.submit(PARENT)
        wait_for(lambda: PARENT.seq in backend.tracker.tracks, 30, "the parent's id")
        backend.submit(CHILD)
        wait_for(lambda: len(sbatch.argvs) == 2, 30, "the child's sbatch")
    assert "--dependency=afterok:1258" in sbatch.argvs[1]


def test_a_refused_parent_whose_childs_release_raises_is_decided_once() -> None:
    go, events = threading.Event(), []

    def refuse(argv: object) -> Done:
        assert go.wait(60)
        return INVALID_ACCOUNT
    with seam_backend(Scripted(sbatch=[refuse]), emit=events.append, workers=1,
                      arrays=False) as backend:
        real = backend.parents.doomed

        def doomed(spec):  # type: ignore[no-untyped-def]
            if spec.seq == CHILD.seq:
                raise RuntimeError("a bug while releasing the child")
            return real(spec)
        backend.parents.doomed = doomed  # type: ignore[method-assign]
        backend.submit(PARENT)
        backend.submit(CHILD)
        go.set()
        wait_for(lambda: len([e for e in events if e.kind == END]) >= 2, 30, "both ends")
    ends = sorted((e.seq, e.state) for e in events if e.kind == END)
    assert ends == [(PARENT.seq, REJECTED), (CHILD.seq, REJECTED)]   # once each
    assert len([e for e in events if e.kind == SUBMIT]) == 2
    child_end = [e for e in events if e.kind == END and e.seq == CHILD.seq][0]
    assert "a bug while releasing the child" in child_end.reason
    assert backend.unsubmitted() == []


def released_children(pause: bool, n: int = 6) -> list[list[str]]:
    """The ``--array`` flags of every sbatch of PARENT and ``n`` same-shape afterok
    children, all due long ago (``pause``: with catch-up packing paused)."""
    sbatch = SlowParent()
    kids = [PARENT.with_(seq=i, source_id=500 + i, depends=(("afterok", (500,)),))
            for i in range(1, n + 1)]
    with seam_backend(Scripted(sbatch=[sbatch]), workers=4,
                      epoch=time.time() - 5) as backend:
        backend.submit(PARENT)
        for kid in kids:
            backend.submit(kid)
        assert sbatch.asked.wait(30)
        if pause:
            assert backend.pool is not None
            backend.pool.pause_catch_up(600)
        sbatch.go.set()
        wait_for(lambda: all(k.seq in backend.tracker.tracks for k in kids), 30,
                 "the children's sbatch")
    return [[a for a in argv if a.startswith("--array")] for argv in sbatch.argvs]


def test_released_children_of_one_shape_share_one_array() -> None:
    assert released_children(pause=False) == [[], ["--array=0-5"]]
    # After a Split (catch-up paused) too: they were 6 separate sbatch calls.
    assert released_children(pause=True) == [[], ["--array=0-5"]]


def test_a_job_retried_when_the_run_stops_is_never_submitted_nor_its_child() -> None:
    events: list[Event] = []
    runner = Scripted(sbatch=[QUEUE_FULL])
    with seam_backend(runner, emit=events.append, workers=1, arrays=False) as backend:
        backend.submit(PARENT)
        backend.submit(CHILD)
        wait_for(lambda: runner.calls.count("sbatch") >= 2, 30, "the retries")
        backend.cancel([])
        assert backend.pool is not None
        wait_for(lambda: backend.pool is not None and backend.pool.backlog() == 0
                 and PARENT.seq in backend.unsent, 60, "the retry to end")
    assert events == []     # Slurm never had it: no SUBMIT, no REJECTED
    assert backend.unsubmitted() == [PARENT.seq, CHILD.seq]


def test_a_refused_heterogeneous_job_counts_every_components_cpus() -> None:
    het = PARENT.with_(source_id=None, components=(Component(2, nodes=1),))
    events: list[Event] = []
    with seam_backend(Scripted(sbatch=[INVALID_ACCOUNT]), emit=events.append,
                      workers=1) as backend:
        backend.submit(het)
        wait_for(lambda: len(events) == 2, 30, "the refusal")
    assert [(e.kind, e.state, e.procs) for e in events] == [
        (SUBMIT, "PENDING", 3), (END, REJECTED, 3)]


def test_a_held_childs_wait_shows_in_the_workload_lag_not_in_its_own() -> None:
    # The workload's clock began 500 s ago: PARENT, CHILD and GRANDCHILD were all due
    # then. Each is late from its release; against the workload, all 500 s and more.
    sbatch = SlowParent()
    grandchild = CHILD.with_(seq=3, source_id=503, depends=(("afterok", (501,)),))
    with seam_backend(Scripted(sbatch=[sbatch]), workers=2, arrays=False,
                      epoch=time.time() - 500) as backend:
        for spec in (PARENT, CHILD, grandchild):
            backend.submit(spec)
        assert sbatch.asked.wait(30)
        sbatch.go.set()
        wait_for(lambda: grandchild.seq in backend.tracker.tracks, 30, "the chain")
        own = backend.tracker.tracks[grandchild.seq].timing[1]
        report = backend.report()
    assert 0 <= own < 250
    assert report["submit_lag_workload_max_s"] >= 500  # type: ignore[operator]


def test_a_job_ended_unsent_in_its_group_is_not_rejected_when_the_group_fails() -> None:
    # The parent failed: CHILD (afterok) is doomed and ends unsent when its group is
    # taken; OTHER (afterany) goes, and its sbatch raises. The pool hands the whole
    # group to _failed_group: CHILD, already decided, must not end a second time.
    other = PARENT.with_(seq=2, source_id=502, depends=(("afterany", (500,)),))
    events: list[Event] = []
    with seam_backend(Scripted(sbatch=[RuntimeError("boom")]), emit=events.append,
                      workers=1, arrays=False) as backend:
        for spec in (PARENT, CHILD, other):
            backend.parents.admit(spec)
        backend.parents.resolved(PARENT, "1258")
        backend.parents.ended(PARENT.seq, FAILED)
        assert backend.pool is not None
        backend.pool._work([CHILD, other], 0.0)     # as a worker takes the group
    ends = sorted((e.seq, e.state) for e in events if e.kind == END)
    assert ends == [(CHILD.seq, "CANCELLED"), (other.seq, REJECTED)]


def test_a_job_whose_sbatch_answer_was_lost_when_the_run_stops_is_not_called_unsent() -> None:
    # sbatch's fate is unknown (the answer lost), and the stop lands while wlgen asks
    # squeue whether Slurm has it: Slurm may hold the job, so it stays unfinished (named
    # unaccounted), never "not submitted" (review of 0b4c309).
    from tests.slurm.test_runner_seam import LOST, SPEC
    said: list[str] = []
    holder: dict = {}

    def squeue_name(argv):
        holder["backend"].stopping = True      # cancel()/close() lands now
        raise LOST
    runner = Scripted(sbatch=[LOST], **{"squeue-name": [squeue_name]})
    events: list[Event] = []
    with seam_backend(runner, emit=events.append, say=said.append) as backend:
        holder["backend"] = backend
        backend.submit(SPEC)
        wait_for(lambda: said or SPEC.seq in backend.unsent or events, 30, "a decision")
        assert SPEC.seq not in backend.unsubmitted() and events == []
        assert any("may be in Slurm's queue" in line for line in said), said
