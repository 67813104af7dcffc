"""The Slurm CLI backend: sbatch through a bounded pool, one watcher for the whole run."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping

import simpy

from workload.backends.base import Backend, ClusterInfo, Emit, NodeInfo
from workload.backends.slurm import pack, retry
from workload.backends.slurm.command import impossible, sbatch_argv
from workload.backends.slurm.parse import (SINFO_ARGV, SQUEUE_ARGV, parse_sbatch, parse_sinfo,
                                           parse_squeue, parse_version)
from workload.backends.slurm.pool import SubmitPool
from workload.backends.slurm.runner import Runner, RunnerLost
from workload.backends.slurm.tags import job_name, run_prefix, seq_of
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.users import UserMap
from workload.backends.slurm.watcher import Watcher
from workload.errors import BackendError, InputError
from workload.event import END, PENDING, REJECTED, SUBMIT, Event
from workload.backends.slurm.script import build_batch_script
from workload.spec import JobSpec

GIVE_UP_S = 180.0       # how long one submit keeps retrying through a busy or down slurmctld
SBATCH_TIMEOUT_S = 60.0
CANCEL_CHUNK = 500


class CliBackend(Backend):
    """Real Slurm through its client commands, run by ``runner``."""

    name = "slurm"
    realtime = True

    def __init__(self, runner: Runner, *, users: UserMap | None = None,
                 account: str | None = None, partition: str | None = None,
                 extra: Mapping[str, str] | None = None, workers: int = 8,
                 launcher: str = "srun", cluster_name: str = "slurm",
                 mem_per_cpu_mb: int | None = None, arrays: bool = True) -> None:
        self.runner, self.users = runner, users or UserMap()
        self.account, self.partition, self.extra = account, partition, dict(extra or {})
        self.workers, self.launcher, self.cluster_name = workers, launcher, cluster_name
        self.mem_per_cpu_mb, self.arrays = mem_per_cpu_mb, arrays
        self.lock = threading.Lock()
        self.tracker = Tracker()
        self.cancelled: set[int] = set()
        self.info: ClusterInfo | None = None
        self.pool: SubmitPool | None = None
        self.watcher: Watcher | None = None

    # -- Backend -------------------------------------------------------------------------
    def attach(self, env: simpy.Environment, emit: Emit, epoch: float, run_id: str = "") -> None:
        self.emit, self.epoch, self.run_id = emit, epoch, run_id or f"run{int(epoch)}"
        self.prefix = run_prefix(self.run_id)
        self.watcher = Watcher(self.runner, self.tracker, self.lock, self.prefix, emit)
        self.watcher.start()
        self.pool = SubmitPool(self._submit_group, self.workers,
                               key=pack.shape if self.arrays else None, max_group=pack.MAX_TASKS)

    def describe(self) -> ClusterInfo:
        if self.info is None:
            nodes, default = parse_sinfo(self._must(list(SINFO_ARGV)))
            version = parse_version(self._must(["sinfo", "--version"]))
            self.info = ClusterInfo(self.cluster_name, tuple(NodeInfo(*n) for n in nodes),
                                    self.partition or default or "batch", version)
        return self.info

    def submit(self, spec: JobSpec) -> None:
        if self.pool is None:
            raise BackendError("the Slurm backend is not attached to a run")
        self.pool.put(spec, self.epoch + spec.submit_s)

    def cancel(self, seqs: Iterable[int]) -> None:
        wanted = set(seqs)
        self.cancelled |= wanted
        if self.pool is not None:
            self.pool.drop(wanted)
        with self.lock:
            ids = [job for seq, job in self.tracker.unfinished().items() if seq in wanted]
        self._scancel(ids)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.abandon()
            self.pool.stop()
        if self.cancelled:   # jobs whose sbatch was in flight when cancel() came
            self.cancel(self.cancelled)
        if self.watcher is not None:
            self.watcher.stop()
        self.runner.close()

    # -- submitting ----------------------------------------------------------------------
    def _submit_group(self, specs: list[JobSpec], intended: float) -> None:
        """Submit jobs of one shape due at one instant: one sbatch, an array when several."""
        began = time.time()
        late = began - intended
        first = specs[0]
        try:
            argv = sbatch_argv(first, self.run_id, account=self.account,
                               partition=self.partition, mem_per_cpu_mb=self.mem_per_cpu_mb,
                               extra=self.extra, tasks=len(specs))
            script = (build_batch_script(first, launcher=self.launcher) if len(specs) == 1
                      else pack.array_script(specs, launcher=self.launcher))
            self._check_fits(first)
            ids = self._ensure_user(first.user)
            job_id, why = self._sbatch(argv, script, ids, job_name(self.run_id, first.seq))
        except (InputError, BackendError, ValueError) as error:
            job_id, why = None, str(error)   # ValueError: sbatch said yes but printed no id
        if job_id is None:
            for spec in specs:
                self._reject(spec, why, time.time() - began, late)
            return
        partition = first.partition or self.partition or self.describe().default_partition
        timing = (time.time() - began, late)
        with self.lock:
            if len(specs) == 1:
                self.tracker.add(first.seq, job_id, first, partition, timing)
            else:
                self.tracker.add_array(job_id, specs, partition, timing)

    def _check_fits(self, spec: JobSpec) -> None:
        info = self.describe()
        why = impossible(spec, len(info.nodes), info.cpus_per_node,
                         min((n.mem_mb for n in info.nodes), default=0))
        if why:
            raise InputError(why)

    def _ensure_user(self, name: str) -> tuple[int, int] | None:
        """The user's ids, retrying through a controller that is restarting: creating a
        user is idempotent, so unlike sbatch there is nothing to reconcile first."""
        deadline, attempt = time.monotonic() + GIVE_UP_S, 0
        while True:
            attempt += 1
            try:
                return self.users.ensure(name, self._queued_users)
            except BackendError:
                if time.monotonic() + retry.backoff(attempt) > deadline:
                    raise
            time.sleep(retry.backoff(attempt))

    def _queued_users(self) -> list[str]:
        """Users of the jobs still queued: created with the first missing one."""
        assert self.pool is not None
        return [s.user for s in self.pool.waiting()]

    def prepare_users(self, names: Iterable[str]) -> None:
        """Create the run's users now (before the clock starts), not on the submit path,
        and have the runner ready to submit as the busiest of them (``names`` may repeat
        a name once per job)."""
        counts = Counter(names)
        ordered = sorted(counts)
        if not ordered:
            return
        self.users.ensure(ordered[0], lambda: ordered)
        for name, _ in counts.most_common(self.runner.warm_users):
            ids = self.users.ensure(name)
            if ids is not None:
                self.runner.warm(ids)

    def _sbatch(self, argv: list[str], script: str, ids: tuple[int, int] | None,
                name: str) -> tuple[str | None, str]:
        """(job id, "") once sbatch took the job, or (None, why) when it was refused.

        After an ambiguous failure the job is looked up by its tag before any retry,
        so a job is never submitted twice."""
        deadline, attempt, why = time.monotonic() + GIVE_UP_S, 0, ""
        while time.monotonic() < deadline:
            attempt += 1
            try:
                done = self.runner.run(argv, input=script, user=ids, timeout=SBATCH_TIMEOUT_S)
                why = done.err.strip()
                if done.rc == 0:
                    return parse_sbatch(done.out), ""
                verdict = retry.classify(why)
            except RunnerLost as error:
                verdict, why = retry.AMBIGUOUS, str(error)
            if verdict == retry.REJECT:
                return None, why
            if verdict == retry.AMBIGUOUS:
                found = self._find(name, deadline)
                if found:
                    return found, ""
            time.sleep(retry.backoff(attempt))
        return None, f"gave up after {attempt} attempts in {GIVE_UP_S:g} s: {why}"

    def _find(self, name: str, deadline: float) -> str | None:
        """The id of the job named ``name``, or None once slurmctld says there is none."""
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            try:
                done = self.runner.run([*SQUEUE_ARGV, f"--name={name}"], timeout=30)
            except RunnerLost:
                done = None
            if done is not None and done.rc == 0:
                hits = [r.job_id for r in parse_squeue(done.out)
                        if seq_of(r.name, self.prefix) is not None and r.name == name]
                return pack.base_id(hits[0]) if hits else None   # an array's tasks: its id
            time.sleep(retry.backoff(attempt))
        raise BackendError(f"could not ask slurmctld whether job {name} exists")

    def _reject(self, spec: JobSpec, why: str, latency: float, late: float) -> None:
        now = time.time()
        partition = spec.partition or self.partition or ""
        common = dict(user=spec.user, partition=partition, procs=spec.procs)
        self.emit(Event(SUBMIT, now, spec.seq, "", PENDING, submit_latency_s=latency,
                        submit_error_s=late, **common))
        self.emit(Event(END, now, spec.seq, "", REJECTED, reason=why[:300], **common))

    # -- helpers -------------------------------------------------------------------------
    def _must(self, argv: list[str]) -> str:
        try:
            done = self.runner.run(argv, timeout=60)
        except RunnerLost as error:
            raise BackendError(f"{argv[0]}: {error}") from None
        if done.rc != 0:
            raise BackendError(f"{' '.join(argv)} failed: {done.err.strip()[-300:]}")
        return done.out

    def _scancel(self, ids: list[str]) -> None:
        # Not checked: scancel exits 1 for jobs that ended meanwhile, which is fine here.
        for i in range(0, len(ids), CANCEL_CHUNK):
            try:
                self.runner.run(["scancel", *ids[i:i + CANCEL_CHUNK]], timeout=60)
            except RunnerLost:
                pass   # the watcher still reports each job's end, cancelled or not
