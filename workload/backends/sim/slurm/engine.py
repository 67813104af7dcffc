"""Slurm's scheduling in simulated time: submit checks, the main loop, backfill, limits.

Main scheduler (job_scheduler.c schedule()): jobs in sort_job_queue2 order; once a
job of a partition is left pending for resources (reason Resources), lower jobs of that
partition wait (reason Priority) for this pass. A submit or an end queues a request;
slurmctld's background loop (controller.c) wakes every whole second and runs it, testing
``default_queue_depth`` jobs, once ``batch_sched_delay`` has passed since the
scheduler's last run; and over the whole queue every ``sched_interval``. Backfill
(backfill.c) runs every ``bf_interval``: jobs in the same order, up to
``bf_max_job_test`` (and ``bf_max_job_user`` per user), each planned at its earliest
start in the profile (passes.py); a job starts now only if it fits for its whole time
limit around the reservations of every higher job, else it gets its own reservation
when that start is within ``bf_window``. Passes never yield, so ``bf_continue``
(resume after a yield) changes nothing here.

Passes are skipped when nothing changed since the last one (no submit, end, node
change or priority reorder): the result would be the same.
"""

from __future__ import annotations

import math
from bisect import insort
from operator import attrgetter

import simpy

from workload.backends.base import ClusterInfo, Emit
from workload.backends.sim.cluster import planned_end
from workload.backends.sim.depends import NEVER, Holds
from workload.backends.sim.slurm import passes
from workload.backends.sim.slurm.fairshare import FairShare
from workload.backends.sim.slurm.plan import round_up
from workload.backends.sim.slurm.priority import Priorities
from workload.backends.sim.slurm.settings import (REQUEUE_HOLD_S, TIME_CHECK_S, SimSettings,
                                                   read)
from workload.backends.sim.slurm.state import Job, Nodes, Part
from workload.errors import InputError
from workload.event import (CANCELLED, COMPLETED, END, FAILED, NODE_FAIL, PENDING, REJECTED,
                            REQUEUED, RUNNING, START, STATE, SUBMIT, TIMEOUT, Event)
from workload.slurmconf import PartitionConf, SlurmConfig
from workload.spec import JobSpec


_KEY = attrgetter("key")


class SlurmEngine:
    def __init__(self, env: simpy.Environment, info: ClusterInfo, conf: SlurmConfig,
                 emit: Emit, epoch: float) -> None:
        self.env, self.info, self.emit, self.epoch = env, info, emit, epoch
        self.s: SimSettings = read(conf)
        self.nodes = Nodes(info)
        self.parts = self._parts(info, conf)
        self.nodes.attach(list(self.parts.values()))
        self.qos = {q.name: q for q in conf.qos}
        self.fs = FairShare(conf.accounts, half_life_s=self.s.half_life_s,
                            fair_tree=self.s.fair_tree, damping=self.s.damping)
        self.prio = Priorities(self.s, nodes=len(info.nodes), cpus=info.total_cpus,
                               mem_mb=sum(self.nodes.mem),
                               max_part_factor=max(p.conf.priority_job_factor
                                                   for p in self.parts.values()),
                               max_qos=max((q.priority for q in conf.qos), default=0))
        self.pending: dict[int, Job] = {}
        self.waiting_in: dict[str, int] = {}     # pending jobs per partition
        self.running: dict[int, Job] = {}
        self.queue: list[Job] = []          # pending jobs, sorted (stale entries skipped)
        self._sorted = True
        self._epoch = -1                    # PriorityCalcPeriod index last computed
        self.qos_running: dict[str, int] = {}
        self.qos_user: dict[tuple[str, str], list[int]] = {}   # [running, submitted]
        self._armed: set[str] = set()
        self._fresh: list[Job] = []         # queued since the last main pass
        self.holds = Holds()                 # jobs waiting for their --dependency
        self.held: dict[int, Job] = {}
        self._dirty = {"full": False, "bf": False}
        self._last_main = -math.inf           # when the main scheduler last ran

    def _parts(self, info: ClusterInfo, conf: SlurmConfig) -> dict[str, Part]:
        confs = {p.name: p for p in conf.partitions}
        out = {}
        for name in info.partitions:
            nodes = [i for i, n in enumerate(info.nodes) if name in n.partitions]
            cells = tuple(sorted({self.nodes.cell_of[i] for i in nodes}))
            out[name] = Part(confs.get(name, PartitionConf(name)), nodes, cells, self.nodes.cpus)
        return out

    # -- submit, cancel, nodes ---------------------------------------------------------------
    def submit(self, spec: JobSpec, timing: tuple[float, float] | None = None) -> None:
        now = self.env.now
        part = self.parts.get(spec.partition or self.info.default_partition)
        latency, error = timing or (None, None)
        if part is None:
            self._reject(spec, now, f"invalid partition {spec.partition!r}", latency, error)
            return
        assoc = self.fs.leaf(spec.user, spec.account)
        qos_name = spec.qos or (self.fs.qos_of.get(assoc.parent.name) if assoc.parent else None)
        job = Job(spec, now, part, self._limit(spec, part), self.qos.get(qos_name or "normal"))
        job.assoc = assoc
        self._event(SUBMIT, job, PENDING, submit_latency_s=latency, submit_error_s=error)
        why = self._refused(job)
        if why:
            self._event(END, job, REJECTED, reason=why)
            return
        over = self._over_partition_limit(job)
        if over and self.s.enforce_part_limits:     # Slurm refuses it at submit
            self._event(END, job, REJECTED, reason=over)
            return
        if job.qos and self.s.enforce_limits:
            self.qos_user.setdefault((job.qos.name, job.user), [0, 0])[1] += 1
        if over:
            # It pends with this reason until the partition's limit changes: wlgen's
            # watcher cancels it on real Slurm, so it ends so here.
            self._finish(job, CANCELLED, over)
            return
        job.static_prio = self.prio.static(job)
        ready = self.holds.hold(job)      # type: ignore[arg-type]  # duck-typed: spec, seq
        if ready is None:                 # waits for its dependency (reason Dependency)
            job.reason = "Dependency"
            self.held[job.seq] = job
        elif ready:
            self._queue_job(job)
        else:
            self._finish(job, CANCELLED, NEVER)

    def _limit(self, spec: JobSpec, part: Part) -> float:
        """The time limit Slurm holds: whole minutes (sbatch --time rounds up); none
        given: the partition's DefaultTime, else its MaxTime."""
        limit = spec.time_limit_s
        if not limit or limit <= 0 or not math.isfinite(limit):
            limit = part.conf.default_time_s or part.conf.max_time_s
        return limit if not math.isfinite(limit) else max(1, math.ceil(limit / 60 - 1e-9)) * 60.0

    @staticmethod
    def _over_partition_limit(job: Job) -> str | None:
        """squeue's reason for a job over its partition's MaxTime or MaxNodes, or None."""
        conf = job.part.conf
        if job.limit > conf.max_time_s:
            return "PartitionTimeLimit"
        if conf.max_nodes is not None and (job.nodes or 1) > conf.max_nodes:
            return "PartitionNodeLimit"
        return None

    def _refused(self, job: Job) -> str | None:
        impossible = self.nodes.impossible(job)
        if impossible:
            return impossible
        qos = job.qos
        if qos and self.s.enforce_limits:
            if job.limit > qos.max_wall_s:
                return "QOSMaxWallDurationPerJobLimit"
            count = self.qos_user.get((qos.name, job.user), [0, 0])[1]
            if qos.max_submit_pu is not None and count >= qos.max_submit_pu:
                return "QOSMaxSubmitJobPerUserLimit"
        return None

    def _reject(self, spec: JobSpec, now: float, why: str, latency, error) -> None:
        for kind, state in ((SUBMIT, PENDING), (END, REJECTED)):
            self.emit(Event(kind, self.epoch + now, spec.seq, f"sim-{spec.seq}", state,
                            spec.user, spec.partition or "", spec.total_procs,
                            reason=why if kind == END else "",
                            submit_latency_s=latency if kind == SUBMIT else None,
                            submit_error_s=error if kind == SUBMIT else None))

    def _queue_job(self, job: Job) -> None:
        self.pending[job.seq] = job
        self.waiting_in[job.part.name] = self.waiting_in.get(job.part.name, 0) + 1
        self._fresh.append(job)
        if self.s.multifactor:
            self._refresh(self.env.now)
            job.priority = self.prio.of(job, self.env.now)
        else:
            job.priority = self.prio.basic()
        if self._sorted:
            job.sort_key()
            insort(self.queue, job, key=_KEY)
        self._kick()

    def cancel(self, seqs) -> None:
        for seq in seqs:
            if seq in self.held:
                self.holds.drop(self.held[seq])  # type: ignore[arg-type]
                self._finish(self.held.pop(seq), CANCELLED)
            elif seq in self.pending:
                job = self.pending.pop(seq)
                self.waiting_in[job.part.name] -= 1
                self._finish(job, CANCELLED)
            elif seq in self.running:
                self._stop(self.running[seq], CANCELLED)

    def set_node(self, name: str, up: bool) -> None:
        if name not in self.nodes.names:
            raise InputError(f"no simulated node named {name!r}")
        node = self.nodes.names.index(name)
        if not up:
            for job in sorted((j for j in self.running.values()
                               if any(n == node for n, _ in j.alloc)), key=lambda j: j.seq):
                self._node_fail(job, name)
        self.nodes.set_up(node, up)
        self._kick()

    def _node_fail(self, job: Job, name: str) -> None:
        if not self.s.requeue:
            self._stop(job, NODE_FAIL, reason=f"node {name} down")
            return
        # JobRequeue=1: back to pending, held ~2 minutes (BeginTime) as Slurm does.
        self._release(job)
        self._event(STATE, job, REQUEUED, reason=f"node {name} down")
        job.state, job.reason = PENDING, "BeginTime"
        job.eligible = self.env.now + REQUEUE_HOLD_S
        self.env.timeout(REQUEUE_HOLD_S).callbacks.append(lambda _: self._kick())
        self._sorted = False
        self._queue_job(job)

    # -- scheduling triggers --------------------------------------------------------------------
    def _kick(self, ended: bool = False) -> None:
        self._dirty["full"] = self._dirty["bf"] = True
        if ended and self.s.end_schedules_now:
            if "now" not in self._armed:
                self._arm("now", self.env.now, self._on_now)
        elif "main" not in self._armed:
            # controller.c's background loop wakes each whole second and runs the
            # queued scheduler once batch_sched_delay has passed since its last run.
            now = self.env.now
            at = max(math.ceil(now - 1e-9), self._last_main + self.s.batch_delay_s)
            self._arm("main", at, self._on_main)
        self._arm_periodic()

    def _arm(self, name: str, at: float, fn) -> None:
        self._armed.add(name)
        self.env.timeout(max(0.0, at - self.env.now)).callbacks.append(fn)

    def _arm_periodic(self) -> None:
        if not self.pending:
            return
        now, s = self.env.now, self.s
        if self._dirty["full"] and "full" not in self._armed:
            self._arm("full", round_up(now + 1e-6, s.sched_interval_s), self._on_full)
        if s.backfill and self._dirty["bf"] and "bf" not in self._armed:
            self._arm("bf", round_up(now + 1e-6, s.bf_interval_s), self._on_bf)
        if s.time_dependent and "calc" not in self._armed:
            self._arm("calc", round_up(now + 1e-6, s.calc_period_s), self._on_calc)

    def _on_main(self, _=None) -> None:
        self._armed.discard("main")
        self._last_main = self.env.now
        passes.main(self, self.s.queue_depth)
        self._arm_periodic()

    def _on_now(self, _=None) -> None:
        self._armed.discard("now")
        self._last_main = self.env.now
        passes.main(self, self.s.queue_depth)
        self._arm_periodic()

    def _on_full(self, _=None) -> None:
        self._armed.discard("full")
        self._dirty["full"] = False
        self._last_main = self.env.now
        passes.main(self, 0)
        self._arm_periodic()

    def _on_bf(self, _=None) -> None:
        self._armed.discard("bf")
        self._dirty["bf"] = False
        passes.backfill(self)
        self._arm_periodic()

    def _on_calc(self, _=None) -> None:
        self._armed.discard("calc")
        if self.pending:
            before = [j.seq for j in self.order()[:self.s.bf_max_job_test]]
            self._refresh(self.env.now)
            if before != [j.seq for j in self.order()[:self.s.bf_max_job_test]]:
                self._dirty["full"] = self._dirty["bf"] = True
        self._arm_periodic()

    # -- priorities -----------------------------------------------------------------------------
    def _refresh(self, now: float) -> None:
        """Recompute priorities (and fair-share) once per PriorityCalcPeriod."""
        if not self.s.multifactor or not self.s.time_dependent:
            return
        period = self.s.calc_period_s
        epoch = int(now // period)
        if epoch == self._epoch:
            return
        self._epoch = epoch
        at = epoch * period
        if self.s.w_fs:
            self.fs.decay_to(at)
            for job in self.running.values():
                self._charge(job, at)
            self.fs.recompute()
        self.prio.refresh(self.pending.values(), at)
        self._sorted = False

    def _charge(self, job: Job, until: float) -> None:
        since = max(job.start, job.charged)
        if until > since:
            self.fs.charge(job.assoc, job.procs * (until - since))
            job.charged = until

    def take_fresh(self) -> list[Job]:
        fresh, self._fresh = self._fresh, []
        return fresh

    def order(self) -> list[Job]:
        """Pending jobs in sort_job_queue2 order."""
        if not self._sorted:
            self.queue = sorted(self.pending.values(), key=Job.sort_key)
            self._sorted = True
        elif len(self.queue) > 2 * len(self.pending) + 64:
            self.queue = [j for j in self.queue if j.state == PENDING]
        return self.queue

    # -- limits, start, end ---------------------------------------------------------------------
    def limits(self, job: Job) -> str | None:
        """The QOS limit that holds the job now (Slurm's reason name), or None."""
        qos = job.qos
        if qos is None or not self.s.enforce_limits:
            return None
        if qos.max_jobs_pu is not None and \
                self.qos_user.get((qos.name, job.user), [0, 0])[0] >= qos.max_jobs_pu:
            return "QOSMaxJobsPerUserLimit"
        if qos.grp_cpus is not None and \
                self.qos_running.get(qos.name, 0) + job.procs > qos.grp_cpus:
            return "QOSGrpCpuLimit"
        return None

    def start(self, job: Job, alloc: list[tuple[int, int]]) -> None:
        now = self.env.now
        self.nodes.take(job, alloc)
        del self.pending[job.seq]
        self.waiting_in[job.part.name] -= 1
        self.running[job.seq] = job
        job.state, job.start, job.charged = RUNNING, now, now
        if job.qos and self.s.enforce_limits:
            self.qos_user.setdefault((job.qos.name, job.user), [0, 0])[0] += 1
            self.qos_running[job.qos.name] = self.qos_running.get(job.qos.name, 0) + job.procs
        by_cell: dict[int, int] = {}
        for node, cores in alloc:
            cell = self.nodes.cell_of[node]
            by_cell[cell] = by_cell.get(cell, 0) + cores
        # Backfill sees a running job end at its start + limit, to the second (the
        # select plugin's will-run test), not on the bf_resolution grid.
        end = now + job.limit
        job.planned = [(end, cell, cores) for cell, cores in by_cell.items()]
        names = self.nodes.names
        self._event(START, job, RUNNING, nodes=tuple(names[n] for n, _ in alloc),
                    priority=job.priority, reason=job.reason,
                    gpus=tuple(f"{names[n]}:{i}" for n, i in job.gpu_held))
        runtime, state = planned_end(job.spec, job.limit + self.s.overtime_s)
        if state == TIMEOUT:    # killed at the first time-limit check after the limit
            runtime = round_up(now + runtime, TIME_CHECK_S) - now
        self.env.timeout(runtime, value=(job, job.start, state)).callbacks.append(self._on_end)

    def _on_end(self, event: simpy.Event) -> None:
        job, started, state = event.value  # type: ignore[misc]
        if job.state != RUNNING or job.start != started:
            return              # cancelled, failed or requeued meanwhile
        self._stop(job, state)

    def _release(self, job: Job) -> None:
        if self.s.w_fs:     # decayed with the rest at the next calc (<= one period early)
            self._charge(job, self.env.now)
        self.nodes.give(job)
        del self.running[job.seq]
        if job.qos and self.s.enforce_limits:
            self.qos_user[(job.qos.name, job.user)][0] -= 1
            self.qos_running[job.qos.name] -= job.procs

    def _stop(self, job: Job, state: str, reason: str = "") -> None:
        self._release(job)
        self._finish(job, state, reason, freed=True)

    def _finish(self, job: Job, state: str, reason: str = "", freed: bool = False) -> None:
        job.state = state
        if job.qos and self.s.enforce_limits:
            self.qos_user[(job.qos.name, job.user)][1] -= 1
        exit_code = 0 if state == COMPLETED else (job.spec.exit_code or 1) if state == FAILED \
            else None
        self._event(END, job, state, exit_code=exit_code, reason=reason)
        for held, runs in self.holds.release(job.spec.source_id, state):
            released = self.held.pop(held.seq)
            if runs:            # eligible from now: age accrues from here (BeginTime)
                released.eligible = self.env.now
                self._queue_job(released)
            else:
                self._finish(released, CANCELLED, NEVER)
        self._kick(ended=freed)

    def _event(self, kind: str, job: Job, state: str, **extra) -> None:
        spec = job.spec
        self.emit(Event(kind, self.epoch + self.env.now, job.seq, f"sim-{job.seq}", state,
                        spec.user, job.part.name, job.procs, **extra))
