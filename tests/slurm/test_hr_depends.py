"""Dependencies through the Slurm backend at the Runner seam: ``--dependency`` is rendered
when sbatch runs (a parent that ended while the child waited for a worker is judged by
wlgen, never named to a Slurm that may have purged it), a held child's lateness counts
from its release, and jobs held when the run stops are named as never submitted."""

from __future__ import annotations

import threading
import time

import simpy

from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.cli import CliClient
from workload.cluster import wait_for
from workload.event import CANCELLED, COMPLETED, END, FAILED, Event

from tests.slurm.seam import seam_backend
from tests.slurm.test_depends_seam import CHILD, PARENT, SlowParent
from tests.slurm.test_runner_seam import Scripted

BLOCKER = PARENT.with_(seq=2, source_id=None)   # keeps the only worker busy


def blocking() -> SlowParent:
    """sbatch answers at once (ids 1258, 1259...), except job seq 2's (BLOCKER), which
    waits for ``go``."""
    return SlowParent(lambda argv: "--job-name=wlgen.t1.2" in argv)


def child_waits_while_its_parent_ends(parent_state: str) -> tuple[SlowParent, list[Event]]:
    """PARENT gets id 1258; CHILD (afterok on it) waits in the pool behind BLOCKER while
    the parent ends in ``parent_state``; then the worker goes on."""
    sbatch, events = blocking(), []
    with seam_backend(Scripted(sbatch=[sbatch]), emit=events.append, workers=1,
                      arrays=False) as backend:
        backend.submit(PARENT)
        wait_for(lambda: len(sbatch.argvs) == 1, 30, "the parent's sbatch")
        backend.submit(BLOCKER)
        assert sbatch.asked.wait(30), "the blocker's sbatch never started"
        backend.submit(CHILD)            # its parent has an id: to the pool, behind
        # The watcher's end event of the parent, while the child still waits.
        backend._noted(Event(END, time.time(), PARENT.seq, "1258", parent_state))
        sbatch.go.set()
        # The child is decided: sent (tracked) or ended unsent (decided).
        wait_for(lambda: CHILD.seq in backend.tracker.tracks
                 or CHILD.seq in backend.decided, 30, "the child's turn")
    return sbatch, events


def test_a_parent_that_ended_while_its_child_waited_is_not_named_to_slurm() -> None:
    sbatch, _ = child_waits_while_its_parent_ends(COMPLETED)
    names = [[a for a in argv if a.startswith("--job-name")][0] for argv in sbatch.argvs]
    assert names == ["--job-name=wlgen.t1.0", "--job-name=wlgen.t1.2",
                     "--job-name=wlgen.t1.1"]
    child = sbatch.argvs[2]
    # afterok on a completed parent is met: nothing to wait for (it was
    # --dependency=afterok:1258, which Slurm refuses once it purged 1258).
    assert not [a for a in child if a.startswith("--dependency")]


def test_a_parent_that_failed_while_its_child_waited_ends_the_child_unsent() -> None:
    sbatch, events = child_waits_while_its_parent_ends(FAILED)
    assert len(sbatch.argvs) == 2        # parent and blocker: the child never went
    ends = [(e.seq, e.state, e.reason) for e in events if e.kind == END]
    assert ends == [(PARENT.seq, FAILED, ""),    # the watcher's, noted
                    (CHILD.seq, CANCELLED, "DependencyNeverSatisfied")]


def test_a_held_childs_lateness_counts_from_its_release() -> None:
    sbatch = SlowParent()
    # The workload's clock began 500 s ago: both jobs were due then. The parent is
    # that late; the child could not go before its parent's answer, so it is not.
    with seam_backend(Scripted(sbatch=[sbatch]), workers=2, arrays=False,
                      epoch=time.time() - 500) as backend:
        backend.submit(PARENT)
        backend.submit(CHILD)
        assert sbatch.asked.wait(30)
        sbatch.go.set()
        wait_for(lambda: CHILD.seq in backend.tracker.tracks, 30, "the child's sbatch")
        parent_late = backend.tracker.tracks[PARENT.seq].timing[1]
        child_late = backend.tracker.tracks[CHILD.seq].timing[1]
    assert parent_late >= 500
    assert 0 <= child_late < 250         # it was >= 500 when counted from the workload


def test_a_child_held_when_the_run_stops_is_named_unsubmitted() -> None:
    sbatch = SlowParent()
    backend = SlurmBackend(CliClient(Scripted(sbatch=[sbatch])), cluster_name="fake",
                           workers=4, arrays=False, say=lambda line: None)
    backend.attach(simpy.Environment(), lambda e: None, time.time(), "t1")
    assert backend.watcher is not None
    backend.watcher.stop()
    backend.submit(PARENT)
    backend.submit(CHILD)
    grandchild = CHILD.with_(seq=3, source_id=503, depends=(("afterany", (501,)),))
    backend.submit(grandchild)
    assert sbatch.asked.wait(30)
    # The run stops with the parent's sbatch in flight: it answers as the run closes.
    closer = threading.Thread(target=backend.close)
    closer.start()
    wait_for(lambda: backend.closing, 30, "close()")
    sbatch.go.set()
    closer.join(60)
    assert not closer.is_alive()
    assert len(sbatch.argvs) == 1                         # only the parent was sent
    assert backend.unsubmitted() == [CHILD.seq, grandchild.seq]
