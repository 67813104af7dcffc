"""Lifecycle events from snapshots: nothing missed between polls, requeues reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.backends.slurm.parse import JobRecord, parse_squeue
from workload.backends.slurm.tracker import Tracker
from workload.spec import JobSpec

DATA = Path(__file__).parent / "data"
SPEC = JobSpec(seq=3, submit_s=0, procs=1, runtime_s=2, time_limit_s=60, user="u1")


def record(state: str, start=None, end=None, submit=100.0, nodes=("n1",), job="9") -> JobRecord:
    return JobRecord(job, "wlgen.r.3", state, state, "None", submit, start, end, "u1", "batch",
                     1, nodes if start else ())


def tracker(job: str = "9") -> Tracker:
    t = Tracker()
    t.add(3, job, SPEC, "batch", (0.05, 0.01))
    return t


def kinds(events):
    return [(e.kind, e.state, e.time) for e in events]


def test_a_job_shorter_than_the_poll_gets_all_three_events_in_order() -> None:
    events = tracker().observe(3, record("COMPLETED", start=101.0, end=103.0))
    assert kinds(events) == [("submit", "PENDING", 100.0), ("start", "RUNNING", 101.0),
                             ("end", "COMPLETED", 103.0)]
    assert events[0].submit_latency_s == 0.05 and events[2].exit_code == 0


def test_events_are_emitted_once() -> None:
    t = tracker()
    assert len(t.observe(3, record("RUNNING", start=101.0))) == 2
    assert t.observe(3, record("RUNNING", start=101.0)) == []
    assert kinds(t.observe(3, record("FAILED", start=101.0, end=102.0))) == [
        ("end", "FAILED", 102.0)]
    assert t.observe(3, record("FAILED", start=101.0, end=102.0)) == [] and not t.unfinished()


def test_requeue_is_a_state_event_then_a_new_start() -> None:
    t = tracker()
    t.observe(3, record("RUNNING", start=101.0))
    requeue = t.observe(3, record("PENDING", submit=110.0))
    assert kinds(requeue) == [("state", "REQUEUED", 110.0)]
    assert t.observe(3, record("PENDING", submit=110.0)) == []
    assert kinds(t.observe(3, record("COMPLETED", start=120.0, end=125.0, submit=110.0))) == [
        ("start", "RUNNING", 120.0), ("end", "COMPLETED", 125.0)]


def test_a_restart_missed_between_polls_still_reports_the_requeue() -> None:
    t = tracker()
    t.observe(3, record("RUNNING", start=101.0))
    assert [e.kind for e in t.observe(3, record("RUNNING", start=130.0))] == ["state", "start"]


def test_cancelled_while_pending_has_no_start() -> None:
    assert [e.kind for e in tracker().observe(3, record("CANCELLED", end=105.0))] == [
        "submit", "end"]


def test_other_jobs_and_other_ids_are_ignored() -> None:
    assert tracker(job="1264").observe(3, record("RUNNING", start=1.0, job="99")) == []
    assert Tracker().observe(3, record("RUNNING", start=1.0)) == []


def test_real_requeued_record_after_a_start_is_a_requeue() -> None:
    real = {r.name: r for r in parse_squeue((DATA / "squeue_states.txt").read_text())}
    t = tracker(job="5")
    t.observe(3, JobRecord("5", "wlgen.cap.4", "RUNNING", "RUNNING", "None", 1796369719.0,
                           1796369720.0, None, "root", "batch", 1, ("n1",)))
    events = t.observe(3, real["wlgen.cap.4"])
    assert [(e.kind, e.state) for e in events] == [("state", "REQUEUED")]


def test_a_job_held_after_a_failed_launch_is_recognised() -> None:
    from workload.backends.slurm.watcher import held_after_launch_failure
    # The reason squeue printed for array tasks whose node died at launch (10k storm, 22.05;
    # captured before the PriorityLong column, given here as that column prints it).
    line = ("12_613|PENDING|launch failed requeued held|1795874001|1795874050|1795874051|"
            "u1|batch|1||0|10000|wlgen.r.7492")
    held, = parse_squeue(line)
    assert held.job_id == "12_613" and held.state == "PENDING"
    assert held_after_launch_failure(held)
    assert not any(held_after_launch_failure(r) for r in
                   parse_squeue((DATA / "squeue_states.txt").read_text()))


def test_a_failed_end_seen_in_squeue_carries_its_exit_code() -> None:
    # wlgen.cap.7 ran `jobs sleep --fail-exit 7`; 22.05's squeue printed it as 1792.
    real = {r.name: r for r in parse_squeue((DATA / "squeue_states.txt").read_text())}
    events = tracker(job="8").observe(3, real["wlgen.cap.7"])
    assert [(e.kind, e.state, e.exit_code) for e in events][-1] == ("end", "FAILED", 7)


def test_an_arrays_tasks_are_tracked_by_their_task_ids_in_order() -> None:
    specs = [JobSpec(seq=s, submit_s=0, procs=2, runtime_s=1, time_limit_s=60, user="u2")
             for s in (7, 4, 9)]
    t = Tracker()
    t.add_array("12", specs, "batch", (0.1, 0.0))
    assert t.unfinished() == {7: "12_0", 4: "12_1", 9: "12_2"}
    events = t.observe(4, record("RUNNING", start=101.0, job="12_1"))
    assert [(e.kind, e.job_id, e.user, e.procs) for e in events] == [
        ("submit", "12_1", "u2", 2), ("start", "12_1", "u2", 2)]
    assert t.observe(7, record("RUNNING", start=101.0, job="12_1")) == []   # not its task


@pytest.mark.parametrize("release", ["", "_24.11"])
def test_a_start_says_why_the_job_waited_and_its_priority(release: str) -> None:
    # Two real snapshots of one job: pending for Resources (every CPU), then running.
    pending, running = parse_squeue((DATA / f"squeue_waited{release}.txt").read_text())
    t = tracker(job=pending.job_id)
    first = t.observe(3, pending)
    assert [e.kind for e in first] == ["submit"]
    start, = t.observe(3, running)
    assert (start.kind, start.reason, start.priority) == ("start", "Resources", 10000)
    assert start.time == running.start


def test_a_job_never_seen_waiting_starts_with_no_reason() -> None:
    events = tracker().observe(3, record("RUNNING", start=101.0))
    assert events[-1].kind == "start" and events[-1].reason == ""


def test_a_caught_up_arrays_tasks_keep_their_own_lateness() -> None:
    specs = [JobSpec(seq=s, submit_s=s, procs=1, runtime_s=1, time_limit_s=60) for s in (0, 1)]
    t = Tracker()
    t.add_array("12", specs, "batch", (0.1, 2.0), lates=[2.0, 1.0])
    events = t.observe(1, record("PENDING", job="12_1"))
    assert [(e.kind, e.submit_latency_s, e.submit_error_s) for e in events] == [
        ("submit", 0.1, 1.0)]
