"""Review findings on cancels (issue 16), at the Runner seam with stored real answers
(tests/slurm/data/README.md): a stop cancels each job once and within the cancel's
patience; an unanswered scancel or DELETE is not repeated for every other chunk or job
within one try; a REST cancel error outside Slurm's own job errors is worth another
try; a due cancel that failed is tried again on a later poll; the pool refuses jobs
once it was abandoned."""

from __future__ import annotations

import threading

import pytest

from workload.backends.slurm.cli import CANCEL_CHUNK, CliClient
from workload.backends.slurm.client import ClientFailure
from workload.backends.slurm.contact import Contact
from workload.backends.slurm.pool import SubmitPool
from workload.backends.slurm.rest import RestSlurmClient, cancel_failures
from workload.backends.slurm.retry import REJECT, RETRY, Patience
from workload.backends.slurm.runner import Done
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm import watcher as watching
from workload.backends.slurm.watcher import Watcher

from tests.slurm.seam import seam_backend
from tests.slurm.test_cancel_replay import SPEC, StoredSqueue
from tests.slurm.test_depends_seam import CHILD, PARENT
from tests.slurm.test_hr_cancel import DENIED, NO_CONTROLLER, SILENT, StoredRest
from tests.slurm.test_runner_seam import FakeClock, Scripted


def test_a_stop_against_an_unreachable_controller_cancels_once_within_patience() -> None:
    said: list[str] = []
    clock = FakeClock()
    runner = Scripted(scancel=[NO_CONTROLLER])
    with seam_backend(runner, say=said.append, epoch=0.0) as backend:
        backend.cancel_patience = Patience(60.0, clock.sleep, clock.now,
                                           backend._lost_reason)
        backend.tracker.add(CHILD.seq, "32", CHILD, "batch", (0.0, 0.0))
        backend.cancel([CHILD.seq])
    # close() tried all of it again: 112 s of backoff and the line said twice.
    assert sum(clock.slept) <= 60
    assert len([line for line in said if "could not cancel job(s) 32" in line]) == 1


def test_scancel_stops_at_the_first_unanswered_chunk_and_says_how_many_were_left() -> None:
    runner = Scripted(scancel=[NO_CONTROLLER])
    ids = [str(i) for i in range(2 * CANCEL_CHUNK + 200)]
    with pytest.raises(ClientFailure) as caught:
        CliClient(runner).cancel(ids)
    assert runner.calls.count("scancel") == 1           # was one per chunk: 3 x timeout
    assert caught.value.verdict == RETRY
    assert f"{CANCEL_CHUNK + 200} job(s) not tried" in str(caught.value)


def test_scancel_refused_goes_on_with_the_other_chunks() -> None:
    runner = Scripted(scancel=[DENIED, SILENT])
    with pytest.raises(ClientFailure) as caught:
        CliClient(runner).cancel([str(i) for i in range(CANCEL_CHUNK + 1)])
    assert runner.calls.count("scancel") == 2 and caught.value.refused


def test_rest_cancel_stops_at_the_first_unanswered_job() -> None:
    http = StoredRest("v0.0.42", "cancel-no-controller", 500)
    with pytest.raises(ClientFailure) as caught:
        RestSlurmClient(http).cancel(["2", "3", "4"])  # type: ignore[arg-type]
    assert http.deletes == 1 and caught.value.verdict == RETRY
    assert "2 job(s) not tried" in str(caught.value)


@pytest.mark.parametrize(("code", "words", "verdict"), [
    # slurm_errno.h: SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT, a busy controller: no refusal
    (5004, "Socket timed out on send/recv operation", RETRY),
    (7000, "Unable to connect to database", RETRY),
    (2002, "Access/permission denied", REJECT),                 # ESLURM_ACCESS_DENIED
    (2002, "Unable to contact slurm controller", RETRY)])      # words say: try again
def test_rest_cancel_errors_are_final_only_when_slurm_said_no(code: int, words: str,
                                                              verdict: str) -> None:
    # The v0.0.38 answer's shape (tests/slurm/data/rest/v0.0.38/cancel-missing.json).
    doc = {"errors": [{"error_number": code, "description": words}]}
    assert cancel_failures(doc) == [(words, verdict)]


def test_a_due_cancel_that_failed_is_tried_again_on_a_later_poll(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watching, "CANCEL_AGAIN_S", 0.0)   # the next poll may retry
    class Failing(StoredSqueue):
        def __init__(self) -> None:
            super().__init__()
            self.fail = True

        def run(self, argv, *, input=None, user=None, timeout=60) -> Done:  # type: ignore[no-untyped-def, override]
            if argv[0] == "scancel" and self.fail:
                self.calls.append(list(argv))
                return NO_CONTROLLER
            return super().run(argv, input=input, user=user, timeout=timeout)
    runner, tracker = Failing(), Tracker()
    tracker.add(0, "2", SPEC, "batch", (0.0, 0.0))
    watcher = Watcher(CliClient(runner), tracker, threading.Lock(), "wlgen.gpucap.",
                      lambda e: None, Contact("fake", 600), say=lambda line: None)
    watcher.poll()                  # due long ago: tried, failed
    assert watcher.cancelled == 0 and tracker.next_cancel() is not None
    runner.fail = False
    watcher.poll()
    assert [c for c in runner.calls if c[0] == "scancel"] == [["scancel", "2"]] * 2
    assert watcher.cancelled == 1 and tracker.next_cancel() is None


def test_a_pool_refuses_puts_once_abandoned_and_names_them_never_sent() -> None:
    worked: list[int] = []
    pool = SubmitPool(lambda specs, _: worked.extend(s.seq for s in specs), workers=1)
    pool.abandon()
    pool.put(PARENT, 0.0)           # a child released as the run stops
    pool.stop()
    assert worked == [] and pool.never_sent() == {PARENT.seq}
