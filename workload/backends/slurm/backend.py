"""The Slurm backend: a bounded submit pool, one watcher, one tracker, over a SlurmClient.

The client (cli.CliClient or rest.RestSlurmClient) knows how to reach Slurm; this class
knows what to ask: one SubmitRequest per job or packed array (request.py), retried
through a busy, full or restarting controller with the one retry loop (retry.py). After
an ambiguous failure the job is looked up by its tag before any retry, so a job is
never submitted twice. A controller silent for longer than the controller timeout ends
the run (``failure()``), naming the cluster and how long it was away.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
import simpy

from workload.backends.base import Backend, ClusterInfo, Emit
from workload.backends.slurm import pack
from workload.backends.slurm.cancel import GIVE_UP_S as CANCEL_GIVE_UP_S
from workload.backends.slurm.cancel import cancel_or_say
from workload.backends.slurm.client import ClientFailure, SlurmClient, User
from workload.backends.slurm.command import impossible
from workload.backends.slurm.contact import DEFAULT_TIMEOUT_S, Contact
from workload.backends.slurm.depends import Parents
from workload.backends.slurm.held import HeldRelease
from workload.backends.slurm.lag import Lag, to_stderr
from workload.backends.slurm.paced import PacedQueries
from workload.backends.slurm.pool import SubmitPool
from workload.backends.slurm.request import SubmitRequest, submit_request
from workload.backends.slurm.retry import AMBIGUOUS, GaveUp, Patience, busy, retry
from workload.backends.slurm.script import build_batch_script
from workload.backends.slurm.tags import run_prefix
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.users import UserMap
from workload.backends.slurm.watcher import Watcher
from workload.errors import BackendError, InputError
from workload.event import END, Event
from workload.spec import JobSpec

GIVE_UP_S = 180.0   # how long one submit keeps retrying through a busy or full slurmctld


class Refused(BackendError):
    """Slurm said no to a request: the jobs end REJECTED with Slurm's words."""


class Split(BackendError):
    """An array met a full or slow queue: its jobs go one by one, as when submissions keep
    up (each task counts against MaxJobCount, so an array larger than the room never
    gets in, and sbatch itself may wait minutes before it says so)."""

CATCH_UP_PAUSE_S = 60.0   # after a Split, late jobs are not packed for this long


class SlurmBackend(HeldRelease, Backend):
    """Real Slurm through ``client``; see the module docstring."""

    name = "slurm"
    realtime = True

    def __init__(self, client: SlurmClient, *, users: UserMap | None = None,
                 account: str | None = None, partition: str | None = None,
                 extra: Mapping[str, str] | None = None, workers: int = 8,
                 launcher: str = "srun", cluster_name: str = "slurm",
                 mem_per_cpu_mb: int | None = None, arrays: bool = True,
                 controller_timeout_s: float = DEFAULT_TIMEOUT_S,
                 patience: Patience | None = None,
                 say: Callable[[str], None] = to_stderr) -> None:
        self.client, self.users = client, users or UserMap()
        self.account, self.partition, self.extra = account, partition, dict(extra or {})
        self.workers, self.launcher, self.cluster_name = workers, launcher, cluster_name
        self.mem_per_cpu_mb, self.arrays = mem_per_cpu_mb, arrays
        base = patience or Patience(give_up_s=max(GIVE_UP_S, controller_timeout_s))
        self.contact = Contact(cluster_name, controller_timeout_s, clock=base.clock)
        self.closing = False
        self.stopping = False      # cancel() was called: the run stops, nothing more goes
        self.patience = Patience(base.give_up_s, base.sleep, base.clock, self._stop_reason)
        # Cancels go on while the run stops (that is when most are sent): only a lost
        # controller ends their retries early.
        self.cancel_patience = Patience(min(base.give_up_s, CANCEL_GIVE_UP_S), base.sleep,
                                        base.clock, self._lost_reason)
        self.lag = Lag(say)
        self.lock = threading.Lock()
        self.tracker = Tracker()
        self.parents = Parents()   # dependencies: source ids -> Slurm ids (depends.py)
        self.cancelled: set[int] = set()
        self.cancels_sent: set[str] = set()   # job ids a stop's cancel was tried on
        self.released: dict[int, float] = {}   # seq -> when a held job was released
        self.unsent: set[int] = set()   # released after the run stopped: never submitted
        self.decided: set[int] = set()  # ended without Slurm (held.py): decided once
        self.info: ClusterInfo | None = None
        self.pool: SubmitPool | None = None
        self.watcher: Watcher | None = None

    # -- Backend -------------------------------------------------------------------------
    def attach(self, env: simpy.Environment, emit: Emit, epoch: float, run_id: str = "") -> None:
        self.emit, self.epoch, self.run_id = emit, epoch, run_id or f"run{int(epoch)}"
        self.prefix = run_prefix(self.run_id)
        self.pool = SubmitPool(self._submit_group, self.workers,
                               key=self._shape if self.arrays else None,
                               max_group=pack.MAX_TASKS, failed=self._failed_group)
        self.paced = PacedQueries(self.client, self.pool.backlog)   # see paced.py
        self.watcher = Watcher(self.paced, self.tracker, self.lock, self.prefix,
                               self._noted, self.contact, patience=self.cancel_patience,
                               say=self.lag.say)
        self.watcher.start()

    def describe(self) -> ClusterInfo:
        if self.info is None:
            try:
                got = self.client.describe()
            except ClientFailure as error:
                raise BackendError(f"cluster {self.cluster_name}: {error}") from None
            self.info = ClusterInfo(self.cluster_name, got.nodes,
                                    self.partition or got.default_partition or "batch",
                                    got.release, got.api)
        return self.info

    def submit(self, spec: JobSpec) -> None:
        if self.pool is None:
            raise BackendError("the Slurm backend is not attached to a run")
        if self.parents.admit(spec):   # else held until its parents have Slurm ids
            self._go(spec)

    def cancel(self, seqs: Iterable[int]) -> None:
        """Cancel these jobs: a run cancels only as it stops (--cancel-on-exit), so from
        here on nothing more is submitted (what is queued or held stays unsubmitted,
        named by ``unsubmitted``) and close() cancels whatever a worker had in flight."""
        wanted = set(seqs)
        self.cancelled |= wanted
        self.stopping = True
        if self.pool is not None:
            self.pool.drop(wanted)
            self.pool.abandon()
        with self.lock:   # each job once: close() cancels only what no call has tried
            ids = [job for seq, job in self.tracker.unfinished().items()
                   if seq in wanted and job not in self.cancels_sent]
            self.cancels_sent.update(ids)
        if ids:   # the watcher still reports each end it sees, cancelled or not
            cancel_or_say(self.client, ids, self.cancel_patience, self.lag.say,
                          self.cluster_name)

    def unsubmitted(self) -> list[int]:
        """Jobs handed to ``submit`` that never reached Slurm: held for a parent, queued
        for a worker or released after the run stopped (the run names them as never
        submitted, not as unaccounted)."""
        # Held first: a job leaves ``held`` before it reaches the pool or ``unsent``,
        # so read in this order a job moving meanwhile is still named (once).
        held = set(self.parents.held_seqs())
        pool = self.pool.never_sent() if self.pool is not None else set()
        return sorted(held | self.unsent | pool)

    def failure(self) -> BackendError | None:
        return self.contact.lost

    def report(self) -> dict[str, object]:
        return {"submit_lag_max_s": round(self.lag.max_s, 3),
                "submit_lag_workload_max_s": round(self.lag.workload_max_s, 3)}

    def close(self) -> None:
        self.closing = True
        if self.pool is not None:
            self.pool.abandon()
            self.pool.stop()
        if self.stopping and self.contact.lost is None:
            # Every job of the run still unfinished goes, also one a worker had in
            # flight at cancel() (its answer came after).
            with self.lock:
                self.cancelled |= set(self.tracker.unfinished())
            self.cancel(self.cancelled)
        if self.watcher is not None:
            self.watcher.stop()
        self.client.close()

    def prepare_users(self, names: Iterable[str]) -> None:
        """Create the run's users now (before the clock starts), not on the submit path,
        and have the client ready to submit as the busiest of them (``names`` may repeat
        a name once per job)."""
        counts = Counter(names)
        ordered = sorted(counts)
        if not ordered:
            return
        self.users.ensure(ordered[0], lambda: ordered)
        for name, _ in counts.most_common(self.client.warm_users):
            self.client.warm(User(name, self.users.ensure(name)))

    # -- submitting ----------------------------------------------------------------------
    def _submit_group(self, specs: list[JobSpec], intended: float) -> None:
        """Submit jobs of one shape due at one instant (or already late, see pool.py): one
        request, an array when several. Each job's lateness counts from its own
        intended time (``_intended``): the group may hold late jobs of several instants."""
        specs, dependency = self._sendable(specs)
        if not specs:
            return
        began = time.time()
        lates = [began - self._intended(spec) for spec in specs]
        late = max(lates)   # the earliest job's, as the pool's ``intended`` was
        assert self.pool is not None
        self.lag.note(late, self.pool.backlog())
        self.lag.note_workload(began - min(self.epoch + spec.submit_s for spec in specs))
        try:
            request = self._request(specs, dependency)
            self._check_fits(specs[0])
            user = User(specs[0].user, self._ensure_user(specs[0].user))
            job_id = self._sbatch(request, user)
        except Split:
            self.pool.pause_catch_up(CATCH_UP_PAUSE_S)
            self._one_by_one(specs)
            return
        except (InputError, BackendError) as error:
            if isinstance(error, GaveUp) and error.maybe_taken:
                # Slurm may hold it (an answer lost, the look-up cut short): unfinished,
                # named in accounting.json as unaccounted, never called not submitted.
                self.lag.say(f"wlgen: {request.name} may be in Slurm's queue (its "
                             f"sbatch answer was lost): {error}")
            elif isinstance(error, GaveUp) and error.stopped and self.contact.lost is None:
                # The run stopped while this was retried: never submitted, as are the
                # children still held for it (no Slurm answer decided anything).
                self.unsent.update(spec.seq for spec in specs)
            elif self.contact.lost is None:   # else: unfinished, named in accounting.json
                for spec, spec_late in zip(specs, lates):
                    self._reject(spec, str(error), time.time() - began, spec_late)
                self._resolved(specs, [None] * len(specs))
            return
        partition = specs[0].partition or self.partition or self.describe().default_partition
        timing = (time.time() - began, late)
        with self.lock:
            if len(specs) == 1:
                self.tracker.add(specs[0].seq, job_id, specs[0], partition, timing)
            else:
                self.tracker.add_array(job_id, specs, partition, timing, lates)
        self._resolved(specs, [job_id] if len(specs) == 1 else
                       [pack.task_id(job_id, i) for i in range(len(specs))])

    def _one_by_one(self, specs: list[JobSpec]) -> None:
        for spec in specs:   # each its own failure: those before it are already decided
            try:
                self._submit_group([spec], self._intended(spec))
            except Exception as error:   # noqa: BLE001 (reported with the job, see pool.py)
                self._failed_group([spec], self._intended(spec), error)

    def _noted(self, event: Event) -> None:
        """The watcher's events, each end noted for the children still to come."""
        if event.kind == END:
            self.parents.ended(event.seq, event.state)
        self.emit(event)

    def _shape(self, spec: JobSpec) -> tuple[object, ...]:
        """Jobs of one shape and one ``--dependency`` may share an array."""
        return (*pack.shape(spec), self.parents.expression(spec))

    def _request(self, specs: list[JobSpec], dependency: str | None) -> SubmitRequest:
        """The request of ``specs``, with the ``--dependency`` ``_sendable`` rendered for
        them (never rendered again: a parent's end noted since is Slurm's to judge)."""
        first = specs[0]
        script = (build_batch_script(first, launcher=self.launcher) if len(specs) == 1
                  else pack.array_script(specs, launcher=self.launcher))
        return submit_request(first, self.run_id, script, account=self.account,
                              partition=self.partition, mem_per_cpu_mb=self.mem_per_cpu_mb,
                              extra=self.extra, tasks=len(specs),
                              dependency=dependency)

    def _check_fits(self, spec: JobSpec) -> None:
        info = self.describe()
        why = impossible(spec, len(info.nodes), info.cpus_per_node,
                         min((n.mem_mb for n in info.nodes), default=0),
                         max((n.gpus for n in info.nodes), default=0))
        if why:
            raise InputError(why)

    def _ensure_user(self, name: str) -> tuple[int, int] | None:
        """The user's ids, retrying through a controller that is restarting: creating a
        user is idempotent, so unlike a submit there is nothing to reconcile first."""
        return retry(lambda: self.users.ensure(name, self._queued_users), again=BackendError,
                     patience=self.patience, what=f"creating user {name}")

    def _queued_users(self) -> list[str]:
        """Users of the jobs still queued: created with the first missing one."""
        assert self.pool is not None
        return [s.user for s in self.pool.waiting()]

    def _sbatch(self, request: SubmitRequest, user: User | None) -> str:
        """The job id once Slurm took ``request``; Refused when it said no.

        After an ambiguous failure the job is looked up by its tag before any retry,
        so a job is never submitted twice. An array that is not taken at once is Split
        (the caller submits its jobs one by one)."""
        unknown = [False]   # an answer was lost and no look-up has settled it since

        def attempt() -> str:
            try:
                job_id = self.client.submit(request, user)
            except ClientFailure as failure:
                if failure.refused:
                    raise Refused(str(failure)) from None
                self._heard(failure)
                found = None
                if failure.verdict == AMBIGUOUS:
                    unknown[0] = True
                    found = self._find(request.name)
                    unknown[0] = False
                if found:
                    return found
                if request.array > 1:
                    raise Split(str(failure)) from None
                raise
            self.contact.answered()
            return job_id
        try:
            return retry(attempt, again=ClientFailure, patience=self.patience,
                         what=f"submitting {request.name}")
        except GaveUp as error:
            error.maybe_taken = unknown[0]
            raise

    def _find(self, name: str) -> str | None:
        """The id of the job named ``name``, or None once slurmctld says there is none."""
        def look() -> str | None:
            try:
                records = self.client.queue(name)
            except ClientFailure as failure:
                self._heard(failure)
                raise
            self.contact.answered()
            hits = [r.job_id for r in records if r.name == name]
            return pack.base_id(hits[0]) if hits else None   # an array's tasks: its id
        return retry(look, again=ClientFailure, patience=self.patience,
                     what=f"asking slurmctld whether job {name} exists")

    def _heard(self, failure: ClientFailure) -> None:
        """A busy or full controller answered; anything else is no answer."""
        if busy(str(failure)):
            self.contact.answered()
        else:
            self.contact.missed(str(failure))

    def _stop_reason(self) -> str | None:
        return self.contact.stop_reason(self.closing or self.stopping)

    def _lost_reason(self) -> str | None:
        return self.contact.stop_reason(False)
