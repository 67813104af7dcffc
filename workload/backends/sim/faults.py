"""The simulator with a scenario's faults and Slurm's requeue-on-node-failure.

Faults run as simpy processes at their times. With JobRequeue=1 (Slurm's default) a
job whose node fails is requeued instead of ending: the sink sees a ``state`` event
REQUEUED (as from Slurm) and the job goes back to the end of its partition's queue.
The simulator itself ends such jobs NODE_FAIL; that end is turned into the requeue
here, and the resubmission's second ``submit`` event is not passed on (a requeued job
is still the same submitted job).
"""

from __future__ import annotations

import simpy

from workload.backends.base import ClusterInfo, Emit
from workload.backends.sim import SimBackend
from workload.backends.sim.calibrate import TEXTBOOK, Calibration
from workload.event import END, NODE_FAIL, REQUEUED, STATE, SUBMIT, Event
from workload.fault import Fault
from workload.slurmconf import SlurmConfig
from workload.spec import JobSpec


class ScenarioSim(SimBackend):
    def __init__(self, info: ClusterInfo, policy: str = "easy", *, faults: tuple[Fault, ...] = (),
                 requeue: bool = True, calibration: Calibration = TEXTBOOK,
                 slurm: SlurmConfig | None = None) -> None:
        super().__init__(info, policy, calibration=calibration, slurm=slurm)
        # Slurm mode requeues inside the engine (with Slurm's hold); textbook mode here.
        self.faults, self.requeue = faults, requeue and slurm is None
        self._specs: dict[int, JobSpec] = {}
        self._resubmitted: set[int] = set()
        self.requeues = 0

    def attach(self, env: simpy.Environment, emit: Emit, epoch: float, run_id: str = "") -> None:
        self.env, self._emit = env, emit
        super().attach(env, self._pass_on, epoch, run_id)
        for fault in self.faults:
            env.process(self._fault(fault))

    def submit(self, spec: JobSpec) -> None:
        if self.requeue:
            self._specs[spec.seq] = spec
        super().submit(spec)

    def _fault(self, fault: Fault):
        yield self.env.timeout(fault.at_s)
        self.set_node(str(fault.node), fault.action == "node_up")

    def _pass_on(self, event: Event) -> None:
        if event.kind == SUBMIT and event.seq in self._resubmitted:
            self._resubmitted.discard(event.seq)
            return
        if self.requeue and event.kind == END and event.state == NODE_FAIL:
            self._emit(Event(STATE, event.time, event.seq, event.job_id, REQUEUED, event.user,
                             event.partition, event.procs, event.nodes, reason=event.reason))
            self._requeue_later(event.seq)
            return
        if event.kind == END:
            self._specs.pop(event.seq, None)
        self._emit(event)

    def _requeue_later(self, seq: int) -> None:
        """Resubmit after the simulator has finished ending the job (same instant)."""
        self.requeues += 1

        def resubmit(_: simpy.Event) -> None:
            self._resubmitted.add(seq)
            self._attached().submit(self._specs[seq])
        self.env.timeout(0).callbacks.append(resubmit)
