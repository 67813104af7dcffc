"""Review findings on the watcher (issue 16, R4), at the Runner seam with stored real
answers (tests/slurm/data/README.md): a refusal to cancel one job of several gives up on
that job only (scancel cancelled the others); a held job Slurm will not release does not
keep the run waiting for ever."""

from __future__ import annotations

import threading

import pytest

from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.client import ClientFailure
from workload.backends.slurm.contact import Contact
from workload.backends.slurm.rest import RestSlurmClient
from workload.backends.slurm.runner import Done
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.watcher import HELD_AFTER_LAUNCH_FAILURE, Watcher
from workload.event import CANCELLED, END

from tests.slurm.test_hr_cancel import DENIED, NO_CONTROLLER, SILENT, StoredRest, watching
from tests.slurm.test_runner_seam import FakeClock, Scripted, read


def test_scancel_refusing_one_of_several_jobs_names_only_that_one() -> None:
    # DENIED is scancel's real line for job 2; scancel went on and cancelled 3.
    with pytest.raises(ClientFailure) as caught:
        CliClient(Scripted(scancel=[DENIED])).cancel(["2", "3"])
    assert caught.value.refuses("2") and not caught.value.refuses("3")
    with pytest.raises(ClientFailure) as unanswered:
        CliClient(Scripted(scancel=[NO_CONTROLLER])).cancel(["2", "3"])
    assert unanswered.value.jobs is None and not unanswered.value.refuses("2")


def test_rest_refusing_one_job_names_that_one() -> None:
    http = StoredRest("v0.0.42", "cancel-denied")
    with pytest.raises(ClientFailure) as caught:
        RestSlurmClient(http).cancel(["7"])  # type: ignore[arg-type]
    assert caught.value.jobs == {"7"}


def test_the_watcher_gives_up_only_on_the_job_slurm_refused() -> None:
    watcher = Watcher(CliClient(Scripted()), Tracker(), threading.Lock(), "wlgen.x.",
                      lambda e: None, Contact("fake", 600), say=lambda line: None)
    refusal = ClientFailure(DENIED.err, jobs={"2"})
    assert set(watcher._given_up(["2", "3"], refusal)) == {"2"}
    assert "3" not in watcher.failing      # nothing failed for 3: it was cancelled
    # A refusal naming no job (an older or unknown answer) is about all of them.
    assert set(watcher._given_up(["4", "5"], ClientFailure(DENIED.err))) == {"4", "5"}


# squeue's real 24.11 lines of job 32 (squeue_never_24.11.txt), with the reason Slurm
# gives a job it held after a failed launch (seen in a 10,000-job 22.05 storm whose node
# died at launch: test_tracker.py): such a job pends until released.
HELD = Done(0, read("squeue_never_24.11.txt").replace("DependencyNeverSatisfied",
                                                     HELD_AFTER_LAUNCH_FAILURE), "")
RELEASE_DENIED = Done(1, "", read("scontrol_release_denied_24.11.err").replace("job 1", "job 32"))
RELEASE_UNANSWERED = Done(1, "", read("scontrol_release_no_controller_24.11.err"))


def test_a_held_job_slurm_will_not_release_is_ended_and_said() -> None:
    runner = Scripted(squeue=[HELD], scontrol=[RELEASE_DENIED])
    watcher, events, said = watching(runner, FakeClock())
    watcher.poll()
    (end,) = [e for e in events if e.kind == END]
    assert end.state == CANCELLED and end.reason.startswith(
        f"{HELD_AFTER_LAUNCH_FAILURE} (not released: ")
    assert "Invalid user id for job 32" in end.reason
    assert watcher.tracker.unfinished() == {} and watcher.abandoned == 1
    assert len(said) == 1 and "scontrol release 32" in said[0]
    watcher.poll()                      # nothing more to wait for, nothing more tried
    assert runner.calls.count("scontrol") == 1


def test_an_unanswered_release_is_tried_on_later_polls_then_the_wait_ends() -> None:
    # With slurmctld stopped, scontrol release says "Unexpected message received": a lost
    # answer, tried again on each poll; after the patience (60 s) the run stops waiting.
    runner = Scripted(squeue=[HELD], scontrol=[RELEASE_UNANSWERED])
    clock = FakeClock()
    watcher, events, said = watching(runner, clock)
    watcher.poll()
    clock.t += 30
    watcher.poll()
    assert runner.calls.count("scontrol") == 2 and not [e for e in events if e.kind == END]
    clock.t += 31
    watcher.poll()
    assert [e.state for e in events if e.kind == END] == [CANCELLED]
    assert "gave up after 61 s" in said[0] and watcher.released == 0


def test_a_release_that_goes_through_counts_and_clears_the_failure() -> None:
    runner = Scripted(squeue=[HELD], scontrol=[RELEASE_UNANSWERED, SILENT])
    watcher, events, said = watching(runner, FakeClock())
    watcher.poll()
    watcher.poll()
    assert watcher.released == 1 and watcher.failing == {} and said == []
