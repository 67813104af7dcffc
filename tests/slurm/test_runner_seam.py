"""The Slurm backend against a fake Runner that answers with stored real outputs.

Reconcile-before-retry ("never submitted twice"), queue-full backoff, lost answers and a
controller that goes away, without a cluster: each command gets what Slurm 22.05 really
printed in that situation (tests/slurm/data/README.md says how each was captured), and
time is a fake clock, so retries and timeouts cost nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import simpy

from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.contact import Contact
from workload.backends.slurm.lag import Lag
from workload.backends.slurm.paced import PacedQueries
from workload.backends.slurm.retry import Patience
from workload.backends.slurm.runner import Done, Runner, RunnerLost
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.watcher import Watcher
from workload.event import Event
from workload.spec import JobSpec

DATA = Path(__file__).parent / "data"
SPEC = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, user="u1")
LOST = RunnerLost("the relay into the cluster ended mid-command")   # RelayRunner's words


def read(name: str) -> str:
    return (DATA / name).read_text()


def failed(name: str) -> Done:
    """A command that exited 1 with the stored stderr ``name``."""
    return Done(1, "", read(name))


SBATCH_OK = Done(0, read("sbatch_parsable.txt"), "")                      # job 1258
QUEUE_FULL = failed("sbatch_queue_full.err")
FULL_THEN_IN = Done(0, read("sbatch_queue_full_then_in.out"), read("sbatch_queue_full_then_in.err"))
NO_CONTROLLER = failed("sbatch_no_controller.err")
NOTHING = Done(0, "", "")                                                 # squeue: no such job


def found_by_name(argv: Sequence[str]) -> Done:
    """squeue --name=X right after X's lost sbatch: the stored line, under the name asked."""
    name = next(a.split("=", 1)[1] for a in argv if a.startswith("--name="))
    return Done(0, read("squeue_lost_answer.txt").replace("wlgen.lost.0", name), "")


Answer = Done | Exception | Callable[[Sequence[str]], Done]


class Scripted(Runner):
    """Answers each kind of command from its list of answers (the last one repeats) and
    logs the kinds in call order."""

    def __init__(self, **answers: list[Answer]) -> None:
        self.answers = {"sinfo": [Done(0, read("sinfo.txt"), "")],
                        "sinfo-version": [Done(0, read("sinfo_version.txt"), "")],
                        "squeue": [NOTHING], "sacct": [NOTHING], **answers}
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def run(self, argv: Sequence[str], *, input: str | None = None,
            user: tuple[int, int] | None = None, timeout: float = 60) -> Done:
        kind = argv[0] + ("-version" if "--version" in argv else "") + (
            "-name" if any(a.startswith("--name=") for a in argv) else "")
        with self.lock:
            self.calls.append(kind)
            queue = self.answers[kind]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(argv) if callable(answer) else answer


class FakeClock:
    def __init__(self) -> None:
        self.t, self.slept = 1000.0, []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make(clock: FakeClock) -> Iterator[Callable[..., tuple[SlurmBackend, list[Event]]]]:
    made: list[SlurmBackend] = []

    def build(runner: Runner, *, give_up_s: float = 60, timeout_s: float = 300
              ) -> tuple[SlurmBackend, list[Event]]:
        backend = SlurmBackend(CliClient(runner), cluster_name="fake", workers=1,
                               controller_timeout_s=timeout_s,
                               patience=Patience(give_up_s, clock.sleep, clock.now),
                               say=lambda line: None)
        emitted: list[Event] = []
        backend.attach(simpy.Environment(), emitted.append, 0.0, "t1")
        assert backend.watcher is not None
        backend.watcher.stop()   # these tests drive submissions only, in this thread
        made.append(backend)
        return backend, emitted
    yield build
    for backend in made:
        backend.close()


def submit(backend: SlurmBackend) -> None:
    """What a submit worker does with one job (the pool's work function)."""
    backend._submit_group([SPEC], 0.0)


def test_a_lost_answer_whose_job_exists_is_found_not_submitted_again(make) -> None:
    runner = Scripted(sbatch=[LOST, SBATCH_OK], **{"squeue-name": [found_by_name]})
    backend, emitted = make(runner)
    submit(backend)
    assert backend.tracker.unfinished() == {0: "3"}   # the id squeue showed under its tag
    assert [c for c in runner.calls if c.startswith(("sbatch", "squeue"))] == [
        "sbatch", "squeue-name"]                       # sbatch once: never twice
    assert emitted == [] and backend.failure() is None


def test_a_lost_answer_whose_job_does_not_exist_is_submitted_again(make, clock) -> None:
    runner = Scripted(sbatch=[LOST, SBATCH_OK], **{"squeue-name": [NOTHING]})
    backend, _ = make(runner)
    submit(backend)
    assert backend.tracker.unfinished() == {0: "1258"}
    assert [c for c in runner.calls if c.startswith(("sbatch", "squeue"))] == [
        "sbatch", "squeue-name", "sbatch"]             # looked up before the retry
    assert clock.slept == [0.2]


def test_a_full_queue_is_waited_out_with_backoff_and_no_look_up(make, clock) -> None:
    runner = Scripted(sbatch=[QUEUE_FULL] * 5 + [FULL_THEN_IN])
    backend, _ = make(runner, timeout_s=1)   # a full queue is an answer: no outage
    submit(backend)
    assert backend.tracker.unfinished() == {0: "2"}   # sbatch got in, said so on stdout
    assert runner.calls.count("sbatch") == 6 and "squeue-name" not in runner.calls
    assert clock.slept == [0.2, 0.4, 0.8, 1.6, 3.2]
    assert backend.failure() is None


def test_a_queue_full_for_good_rejects_the_job_with_slurms_words(make) -> None:
    runner = Scripted(sbatch=[QUEUE_FULL])
    backend, emitted = make(runner, give_up_s=10)
    submit(backend)
    assert [(e.kind, e.state) for e in emitted] == [("submit", "PENDING"), ("end", "REJECTED")]
    reason = emitted[-1].reason
    assert "gave up after 6 attempts" in reason and "Resource temporarily unavailable" in reason
    assert backend.failure() is None and not backend.tracker.unfinished()


def test_a_controller_away_longer_than_the_timeout_ends_the_run_not_the_job(make) -> None:
    runner = Scripted(sbatch=[NO_CONTROLLER])
    backend, emitted = make(runner, timeout_s=20, give_up_s=300)
    submit(backend)
    failure = backend.failure()
    assert failure is not None and emitted == []   # unfinished: named by the run, not REJECTED
    text = str(failure)
    assert text.startswith("cluster fake: slurmctld unreachable for 2") and " s " in text
    assert "Unable to contact slurm controller" in text and "\n" not in text
    assert runner.calls.count("sbatch") < 15       # stopped at the timeout, not at give_up_s


def test_a_controller_back_within_the_timeout_is_only_a_pause(make, clock) -> None:
    runner = Scripted(sbatch=[NO_CONTROLLER] * 5 + [SBATCH_OK])
    backend, emitted = make(runner, timeout_s=20)
    submit(backend)
    assert backend.tracker.unfinished() == {0: "1258"} and emitted == []
    assert backend.failure() is None and sum(clock.slept) < 20


def test_the_watcher_declares_the_controller_lost_after_the_timeout(clock) -> None:
    runner = Scripted(squeue=[failed("squeue_no_controller.err")])
    contact = Contact("fake", 20, clock=clock.now)
    tracker, lock = Tracker(), threading.Lock()
    tracker.add(0, "3", SPEC, "batch", (0.0, 0.0))
    watcher = Watcher(CliClient(runner), tracker, lock, "wlgen.t1.", lambda e: None, contact)
    for _ in range(3):             # 0, 10, 20 s after the first unanswered poll
        watcher.poll()
        clock.sleep(10)
    assert contact.lost is None    # 20 s silent is not more than 20
    watcher.poll()                 # 30 s
    assert contact.lost is not None and "unreachable for 30 s" in str(contact.lost)
    assert "slurm_load_jobs error: Unable to contact slurm controller" in str(contact.lost)


def test_one_answer_restarts_the_count_and_a_quiet_spell_is_no_outage(clock) -> None:
    contact = Contact("fake", 20, clock=clock.now)
    contact.missed("a")
    clock.sleep(15)
    contact.answered()
    clock.sleep(15)
    contact.missed("b")            # 30 s since the first miss, but it answered in between
    assert contact.lost is None and contact.silent_s() == 0
    clock.sleep(3600)              # an hour with no request at all ...
    contact.answered()
    clock.sleep(3600)
    contact.missed("c")            # ... then one miss: not an hour of outage
    assert contact.lost is None


def test_lag_is_said_above_a_second_at_most_every_ten_seconds(clock) -> None:
    said: list[str] = []
    lag = Lag(said.append, clock=clock.now)
    lag.note(0.5, 0)
    lag.note(3.0, 40)
    clock.sleep(2)
    lag.note(4.0, 50)              # within 10 s of the last line: counted, not said
    clock.sleep(9)
    lag.note(2.5, 10)
    assert len(said) == 2 and lag.max_s == 4.0
    assert said[0].startswith("wlgen: submissions are 3.0 s behind") and "40 job(s)" in said[0]


def test_an_array_that_meets_a_full_queue_goes_job_by_job(make, clock) -> None:
    # MaxJobCount counts every task: an array larger than the room never gets in, and
    # sbatch may spend minutes in its own retries first. Three late jobs of one shape:
    # one array refused, then each job alone (one more wait for the full queue).
    runner = Scripted(sbatch=[QUEUE_FULL, Done(0, "70\n", ""), QUEUE_FULL,
                              Done(0, "71\n", ""), Done(0, "72\n", "")])
    backend, emitted = make(runner)
    backend._submit_group([SPEC.with_(seq=s) for s in range(3)], 0.0)
    assert backend.tracker.unfinished() == {0: "70", 1: "71", 2: "72"}
    assert runner.calls.count("sbatch") == 5 and emitted == [] and clock.slept == [0.2]
    assert backend.pool is not None and backend.pool.catch_up_from > clock.now()


def test_the_watchers_polls_wait_for_queued_submissions_but_never_longer_than_the_bound(
        clock: FakeClock) -> None:
    runner = Scripted(squeue=[Done(0, read("squeue.txt"), "")], **{"squeue-name": [NOTHING]})
    waiting = [3]   # jobs queued for a submit worker; taken after two steps of waiting

    def backlog() -> int:
        return waiting[0] if len(clock.slept) < 2 else 0
    paced = PacedQueries(CliClient(runner), backlog, defer_s=5, clock=clock.now,
                         sleep=clock.sleep)
    assert paced.queue() and runner.calls == ["squeue"]   # asked once the queue was taken
    assert len(clock.slept) == 2 and paced.deferred == 1
    waiting[0] = 0
    paced.queue()                                           # nothing queued: asked at once
    assert len(clock.slept) == 2
    # Submissions that never catch up hold a poll back for the bound, not longer...
    stuck = PacedQueries(CliClient(runner), lambda: 7, defer_s=5, clock=clock.now,
                         sleep=clock.sleep)
    began = clock.now()
    stuck.queue()
    assert 5 <= clock.now() - began < 5 + 0.1 and runner.calls[-1] == "squeue"
    # ...and a look-up by name (the reconcile before a retry) is never held back.
    before = clock.now()
    stuck.queue("wlgen.x.0")
    assert clock.now() == before and runner.calls[-1] == "squeue-name"


def test_the_backends_watcher_polls_through_the_pacing(make: Callable[..., tuple[
        SlurmBackend, list[Event]]]) -> None:
    backend, _ = make(Scripted(sbatch=[SBATCH_OK]))
    assert backend.watcher is not None and backend.watcher.client is backend.paced
    assert backend.pool is not None and backend.paced.backlog == backend.pool.backlog
