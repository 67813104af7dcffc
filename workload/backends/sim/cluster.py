"""The simulated cluster: partitions, a scheduler pass per instant, lifecycle events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import simpy

from workload.backends.base import ClusterInfo, Emit
from workload.backends.sim.calibrate import TEXTBOOK, Calibration
from workload.backends.sim.depends import NEVER, Holds
from workload.backends.sim.job import SimJob
from workload.backends.sim.partition import Allocation, Partition
from workload.backends.sim.policy import TEXTBOOK_POLICIES, schedule
from workload.errors import InputError
from workload.event import (CANCELLED, COMPLETED, END, FAILED, NODE_FAIL, OUT_OF_MEMORY, PENDING,
                            REJECTED, RUNNING, START, SUBMIT, TIMEOUT, Event)
from workload.spec import JobSpec


class SimCluster:
    """Runs jobs in simpy virtual time and reports what a real Slurm would report.

    Scheduling happens once per simulated instant, after every arrival and end of that
    instant (like Slurm's batched scheduler), through a zero-delay simpy event.
    """

    def __init__(self, env: simpy.Environment, info: ClusterInfo, policy: str, emit: Emit,
                 epoch: float, calibration: Calibration = TEXTBOOK) -> None:
        if policy not in TEXTBOOK_POLICIES:
            raise InputError(f"--policy must be one of {', '.join(TEXTBOOK_POLICIES)}, "
                             f"got {policy!r}")
        self.env, self.info, self.policy, self.emit, self.epoch = env, info, policy, emit, epoch
        self.partitions: dict[str, Partition] = {}
        self.node_names = [n.name for n in info.nodes]
        self.node_at: dict[str, tuple[Partition, int]] = {}
        self._build_partitions()
        self.jobs: dict[int, SimJob] = {}
        self._kicked: set[str] = set()
        self.calibration = calibration
        self._bf_timer: set[str] = set()     # partitions with a backfill tick pending
        self.holds = Holds()                 # jobs waiting for their --dependency

    def _build_partitions(self) -> None:
        by_name: dict[str, list] = {}
        for node in self.info.nodes:
            if len(node.partitions) != 1:
                raise InputError(f"simulated node {node.name} must be in exactly one partition")
            by_name.setdefault(node.partitions[0], []).append(node)
        for name, nodes in by_name.items():
            part = Partition(name, nodes)
            self.partitions[name] = part
            for i, node in enumerate(nodes):
                self.node_at[node.name] = (part, i)
        self.part_nodes = {name: [n.name for n in nodes] for name, nodes in by_name.items()}

    # -- submit, cancel -----------------------------------------------------------------
    def submit(self, spec: JobSpec, timing: tuple[float, float] | None = None) -> None:
        """Queue a job; ``timing`` is (submit latency, submit error) of a real-time run."""
        now = self.env.now
        name = spec.partition or self.info.default_partition
        part = self.partitions.get(name)
        job = SimJob(spec, now, name)
        job.limit = self.calibration.limit(job.limit)
        reason = f"invalid partition {name!r}" if part is None else part.impossible(job)
        latency, error = timing or (None, None)
        self._event(SUBMIT, job, PENDING, latency=latency, error=error)
        if reason or part is None:          # no partition always has a reason
            job.state = REJECTED
            self._event(END, job, REJECTED, reason=reason or "")
            return
        self.jobs[job.seq] = job
        ready = self.holds.hold(job)
        if not ready:
            if ready is False:
                self._finish(job, CANCELLED, reason=NEVER)
            return
        part.queue.push(job)
        self._kick(name)

    def cancel(self, seqs: Iterable[int]) -> None:
        for seq in seqs:
            job = self.jobs.get(seq)
            if job is None:
                continue
            part = self.partitions[job.partition]
            if job.state == PENDING:
                if not self.holds.drop(job):
                    part.queue.remove(job)
                self._finish(job, CANCELLED)
            elif job.state == RUNNING:
                self._stop(job, CANCELLED)

    # -- faults ---------------------------------------------------------------------------
    def set_node(self, name: str, up: bool) -> None:
        """Take a node down (its jobs end NODE_FAIL) or bring it back."""
        if name not in self.node_at:
            raise InputError(f"no simulated node named {name!r}")
        part, index = self.node_at[name]
        if not up:
            for job in sorted(part.jobs_on(index), key=lambda j: j.seq):
                self._stop(job, NODE_FAIL, reason=f"node {name} down")
        part.set_up(index, up)
        self._kick(part.name)

    # -- internals --------------------------------------------------------------------------
    def _kick(self, name: str) -> None:
        if name in self._kicked:
            return
        self._kicked.add(name)
        timeout = self.env.timeout(0, value=name)
        timeout.callbacks.append(self._pass)

    def _pass(self, event: simpy.Event) -> None:
        name = cast(str, event.value)        # its timeout's value: the partition
        self._kicked.discard(name)
        if self.policy != "easy" or not self.calibration.bf_interval_s:
            schedule(self.policy, self.partitions[name], self.env.now, self._start)
            return
        # Slurm-like: in-order starts now, backfill only on the next periodic tick.
        schedule("fcfs", self.partitions[name], self.env.now, self._start)
        self._arm_backfill(name)

    def _arm_backfill(self, name: str) -> None:
        if name in self._bf_timer or len(self.partitions[name].queue) < 2:
            return
        self._bf_timer.add(name)
        delay = self.calibration.next_backfill(self.env.now) - self.env.now
        self.env.timeout(delay, value=name).callbacks.append(self._backfill_tick)

    def _backfill_tick(self, event: simpy.Event) -> None:
        name = cast(str, event.value)        # its timeout's value: the partition
        self._bf_timer.discard(name)
        schedule("easy", self.partitions[name], self.env.now, self._start)
        self._arm_backfill(name)

    def _start(self, job: SimJob, alloc: Allocation) -> None:
        part = self.partitions[job.partition]
        part.take(job, alloc)
        part.queue.remove(job)
        job.state, job.start = RUNNING, self.env.now
        names = self.part_nodes[job.partition]
        held = job.gpu_held if not job.comps else [g for c in job.comps for g in c.gpu_held]
        self._event(START, job, RUNNING, nodes=tuple([names[n] for n, _ in alloc]),
                    gpus=tuple([f"{names[n]}:{i}" for n, i in held]) if held else ())
        end = self.env.timeout(planned_end(job.spec, job.limit)[0], value=job)
        end.callbacks.append(self._on_end)

    def _on_end(self, event: simpy.Event) -> None:
        job = cast(SimJob, event.value)      # its end timeout's value: the job
        if job.state != RUNNING:
            return   # already ended: cancelled, or its node failed
        self._stop(job, planned_end(job.spec, job.limit)[1])

    def _stop(self, job: SimJob, state: str, reason: str = "") -> None:
        part = self.partitions[job.partition]
        part.release(job)
        self._finish(job, state, reason)
        self._kick(part.name)

    def _finish(self, job: SimJob, state: str, reason: str = "") -> None:
        job.state = state
        exit_code = 0 if state == COMPLETED else (job.spec.exit_code or 1) if state == FAILED \
            else None
        self._event(END, job, state, exit_code=exit_code, reason=reason)
        del self.jobs[job.seq]
        for held, runs in self.holds.release(job.spec.source_id, state):
            if runs:
                self.partitions[held.partition].queue.push(held)
                self._kick(held.partition)
            else:
                self._finish(held, CANCELLED, reason=NEVER)

    def _event(self, kind: str, job: SimJob, state: str, *, nodes: tuple[str, ...] = (),
               exit_code: int | None = None, reason: str = "", latency: float | None = None,
               error: float | None = None, gpus: tuple[str, ...] = ()) -> None:
        # Event's fields by position: three events a job, keyword matching was a tenth
        # of the simulator's own time.
        self.emit(Event(kind, self.epoch + self.env.now, job.seq, job.job_id, state,
                        job.spec.user, job.partition, job.procs, nodes, exit_code, reason,
                        latency, error, None, gpus))


def planned_end(spec: JobSpec, limit: float) -> tuple[float, str]:
    """When and how a job that nothing disturbs ends: cancelled where its source was
    (sacct replays), at its limit, or at the end of its run, FAILED when its source
    failed (spec.final_state; issue 16)."""
    if spec.cancel_after_s is not None and spec.cancel_after_s <= min(spec.runtime_s, limit):
        return spec.cancel_after_s, CANCELLED
    if spec.runtime_s > limit:
        return limit, TIMEOUT
    return spec.runtime_s, FAILED if spec.final_state in (FAILED, OUT_OF_MEMORY) else COMPLETED
