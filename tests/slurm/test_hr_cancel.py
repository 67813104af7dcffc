"""Cancelling: a job that already ended is fine, a real failure is tried again (retry.py)
and then reported, and the watcher's wait on a never-satisfiable job is bounded.

Every answer is one stored from real Slurm (tests/slurm/data/README.md and
tests/slurm/data/rest/README.md say how each was captured): scancel is silent and exits
0 for a completed or purged job on 22.05 and 24.11, exits 210 "Access/permission
denied" and 8 "Unable to contact slurm controller"; slurmrestd answers DELETE with 200
and a per-job error (24.11+), or 500 (22.05, and 24.11 with slurmctld down).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest

from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.client import ClientFailure
from workload.backends.slurm.contact import Contact
from workload.backends.slurm.rest import RestSlurmClient
from workload.backends.slurm.restclient import RestFailure
from workload.backends.slurm.retry import RETRY, Patience
from workload.backends.slurm.runner import Done
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.watcher import Watcher
from workload.event import CANCELLED, END

from tests.slurm.test_depends_seam import CHILD
from tests.slurm.test_rest_api import load
from tests.slurm.test_runner_seam import FakeClock, Scripted, read

DENIED = Done(210, "", read("scancel_denied_24.11.err"))
NO_CONTROLLER = Done(8, "", read("scancel_no_controller_24.11.err"))
SILENT = Done(0, "", "")   # scancel of a completed or purged job (22.05.8 and 24.11.5)


class StoredRest:
    """slurmrestd answering from stored files; DELETE with ``deleted`` (a file name, and
    the HTTP status it came with)."""

    url = "http://stored:6820"

    def __init__(self, version: str, deleted: str, status: int = 200) -> None:
        self.version, self.deleted, self.status = version, deleted, status
        self.deletes = 0
        self.posts: list[tuple[str, Any]] = []

    def call(self, method: str, path: str, body: Any = None, *, user: str | None = None,
             query: Mapping[str, str] | None = None) -> dict[str, Any]:
        if path == "/openapi/v3":
            return load(self.version, "openapi-paths")
        if method == "GET":
            return load(self.version, "partitions")
        if method == "POST":
            self.posts.append((path, body))
            return load(self.version, "release")
        self.deletes += 1
        doc = load(self.version, self.deleted)
        if self.status != 200:
            raise RestFailure(f"HTTP {self.status}: stored", self.status, doc)
        return doc

    def close(self) -> None:
        """Nothing held."""


@pytest.mark.parametrize(("version", "answer", "status"), [
    ("v0.0.42", "cancel-done", 200),       # completed: "already completing or completed"
    ("v0.0.38", "cancel-missing", 500),    # purged: "Invalid job id specified"
    ("v0.0.42", "cancel-missing", 200),
    ("v0.0.44", "cancel-missing", 200),
    ("v0.0.42", "cancel", 200)])
def test_rest_cancel_of_a_job_that_already_ended_is_no_failure(version: str, answer: str,
                                                               status: int) -> None:
    RestSlurmClient(StoredRest(version, answer, status)).cancel(["31"])  # type: ignore[arg-type]


def test_rest_cancel_slurm_refused_is_a_final_failure_naming_the_job() -> None:
    client = RestSlurmClient(StoredRest("v0.0.42", "cancel-denied"))  # type: ignore[arg-type]
    with pytest.raises(ClientFailure) as caught:
        client.cancel(["2"])
    assert caught.value.refused
    assert "job 2: Access/permission denied" in str(caught.value)


def test_rest_cancel_without_a_controller_is_worth_trying_again() -> None:
    client = RestSlurmClient(StoredRest("v0.0.42", "cancel-no-controller", 500))  # type: ignore[arg-type]
    with pytest.raises(ClientFailure) as caught:
        client.cancel(["2"])
    assert caught.value.verdict == RETRY and "Signal request failed" in str(caught.value)


def test_scancel_silence_is_success_and_its_errors_are_failures() -> None:
    # What 22.05.8 and 24.11.5 do for a completed job and for one never known (data
    # README: nothing printed, exit 0): one call for both, and no failure.
    argvs: list[list[str]] = []

    def silent(argv: list[str]) -> Done:
        argvs.append(list(argv))
        return SILENT
    assert CliClient(Scripted(scancel=[silent])).cancel(["1", "999999"]) is None
    assert argvs == [["scancel", "1", "999999"]]
    with pytest.raises(ClientFailure) as denied:
        CliClient(Scripted(scancel=[DENIED])).cancel(["2"])
    assert denied.value.refused and "Access/permission denied" in str(denied.value)
    with pytest.raises(ClientFailure) as unreachable:
        CliClient(Scripted(scancel=[NO_CONTROLLER])).cancel(["2"])
    assert unreachable.value.verdict == RETRY


def watching(runner: Scripted, clock: FakeClock) -> tuple[Watcher, list, list[str]]:
    """A watcher of job 32 (CHILD, seq 1), pending DependencyNeverSatisfied on 24.11."""
    tracker, events, said = Tracker(), [], []
    tracker.add(1, "32", CHILD, "batch", (0.0, 0.0))
    watcher = Watcher(CliClient(runner), tracker, threading.Lock(), "wlgen.dep.",
                      events.append, Contact("fake", 600),
                      patience=Patience(60, clock.sleep, clock.now), say=said.append)
    return watcher, events, said


def test_a_never_satisfiable_job_slurm_will_not_cancel_is_ended_and_said() -> None:
    # DENIED's real line, about job 32: a refusal counts for the jobs it names.
    denied = Done(DENIED.rc, "", DENIED.err.replace("job id 2:", "job id 32:"))
    runner = Scripted(squeue=[Done(0, read("squeue_never_24.11.txt"), "")], scancel=[denied])
    clock = FakeClock()
    watcher, events, said = watching(runner, clock)
    watcher.poll()
    assert runner.calls.count("scancel") == 1 and clock.slept == []   # no: final at once
    ends = [e for e in events if e.kind == END]
    assert [(e.seq, e.state) for e in ends] == [(1, CANCELLED)]
    assert ends[0].reason.startswith("DependencyNeverSatisfied (not cancelled:")
    assert "Access/permission denied" in ends[0].reason
    assert watcher.tracker.unfinished() == {} and watcher.abandoned == 1
    assert len(said) == 1 and "scancel 32" in said[0]
    watcher.poll()                                   # nothing more to wait for
    assert runner.calls.count("scancel") == 1


def test_an_unreachable_controller_is_tried_on_later_polls_then_the_wait_ends() -> None:
    runner = Scripted(squeue=[Done(0, read("squeue_never_24.11.txt"), "")],
                      scancel=[NO_CONTROLLER])
    clock = FakeClock()
    watcher, events, said = watching(runner, clock)
    watcher.poll()
    # One try per poll, never a sleep inside one: the poll (end events) goes on.
    assert runner.calls.count("scancel") == 1 and clock.slept == []
    clock.t += 30
    watcher.poll()
    assert runner.calls.count("scancel") == 2 and not [e for e in events if e.kind == END]
    clock.t += 31                                      # 61 s since the first failure
    watcher.poll()
    assert runner.calls.count("scancel") == 3
    assert [e.state for e in events if e.kind == END] == [CANCELLED]
    assert "gave up after 61 s" in said[0]


def test_a_cancel_that_goes_through_on_a_later_try_ends_as_slurm_says() -> None:
    never = Done(0, read("squeue_never_24.11.txt"), "")
    cancelled = Done(0, read("squeue_never_cancelled_24.11.txt"), "")
    runner = Scripted(squeue=[never, never, cancelled], scancel=[NO_CONTROLLER, SILENT])
    clock = FakeClock()
    watcher, events, said = watching(runner, clock)
    watcher.poll()
    watcher.poll()
    assert runner.calls.count("scancel") == 2 and watcher.never == 1 and said == []
    watcher.poll()
    assert [(e.state, e.reason) for e in events if e.kind == END] == [
        (CANCELLED, "DependencyNeverSatisfied")]


def test_a_stopping_run_that_cannot_cancel_its_jobs_says_which_may_still_run() -> None:
    from tests.slurm.seam import seam_backend

    said: list[str] = []
    runner = Scripted(scancel=[DENIED])
    with seam_backend(runner, say=said.append, epoch=0.0) as backend:
        backend.tracker.add(CHILD.seq, "32", CHILD, "batch", (0.0, 0.0))
        backend.cancel([CHILD.seq])               # --cancel-on-exit as the run stops
    # Once: close() cancels only what cancel() did not try (it was twice, said twice).
    assert runner.calls.count("scancel") == 1
    assert len([line for line in said if line.startswith("wlgen: could not cancel job(s) 32 "
                                                         "on fake:")
                and "Access/permission denied" in line]) == 1


@pytest.mark.parametrize("version", ["v0.0.38", "v0.0.42", "v0.0.44"])
def test_rest_releases_a_held_job_as_scontrol_release_does(version: str) -> None:
    # It raised "not offered", and a job held after a failed launch pended for ever.
    http = StoredRest(version, "cancel")
    RestSlurmClient(http).release(["5"])  # type: ignore[arg-type]
    assert http.posts == [(f"/slurm/{version}/job/5", {"hold": False})]
