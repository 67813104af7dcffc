"""Faults on real Slurm: the scenario's ``faults`` applied to a container cluster.

How each action is done (chosen so a fault is what an operator or a failure would do,
and so it can be undone within the run):

- node_down: ``scontrol update NodeName=X State=DRAIN``, then ``State=DOWN``: an admin
  taking the node out. DOWN kills its jobs at once (JobRequeue=1: batch jobs are
  requeued, and Slurm holds a requeued job ~2 min (BeginTime) before it may start again;
  0: they end NODE_FAIL). DRAIN first because the container cluster runs with
  ReturnToService=2: a DOWN node's slurmd re-registers within a second and would be
  back in service; the drain flag survives that until node_up. (A hard failure, the
  node's container stopped, makes Slurm wait SlurmdTimeout before it notices; it is
  not what ``node_down`` does.)
- node_up: ``scontrol update NodeName=X State=RESUME`` (clears the drain), sent only
  while the node is DOWN or drained: one already back counts as up
  (workload.cluster.nodes.resume).
- slurmctld_restart: the ctld container is stopped (SIGTERM: slurmctld saves its state),
  kept down ``down_s`` seconds, and started again; slurmctld is its main process.
- slow_node: the node's container gets ``host cores / factor`` CPUs (``podman update
  --cpus``, via workload.fabric). Only CPU-bound payloads slow down; ``sleep`` does not.
  With several slurmd a container (``--nodes-per-container``) that is every node of the
  container, as link_down/link_up are; node_down/node_up act on one Slurm node.
- link_down / link_up: the node's cable is pulled / plugged at the switch side
  (workload.fabric); ``link`` is a node name or ``SWITCH-NODE``.

Faults run on a thread of their own at ``epoch + at_s`` (wall clock), so a slow engine
command never holds up submissions. Each applied fault is recorded (``applied``) with
when it ran and what happened; the runner writes them to ``faults.jsonl``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence

import simpy

from workload.backends.base import Backend, ClusterInfo, Emit
from workload.errors import BackendError, WlgenError
from workload.fault import Fault
from workload.spec import JobSpec

STOP_TIMEOUT_S = 20


def fault_node(fault: Fault) -> str:
    """The node a fault acts on (``link: s1-n3`` -> n3)."""
    if fault.node:
        return fault.node
    return str(fault.link).rsplit("-", 1)[-1]


def fault_argv(fault: Fault, engine: str, container: Callable[[str], str],
               cores: int) -> list[list[str]]:
    """The commands for the scontrol/engine faults (pure: tested without a cluster).

    slurmctld_restart's stop and start are separate steps: the driver sleeps between."""
    node = fault_node(fault) if fault.action != "slurmctld_restart" else ""
    if fault.action == "node_down":
        reason = f"Reason=wlgen fault at {fault.at_s:g}s"
        return [["scontrol", "update", f"NodeName={node}", state, reason]
                for state in ("State=DRAIN", "State=DOWN")]
    if fault.action == "node_up":
        return [["scontrol", "update", f"NodeName={node}", "State=RESUME"]]
    if fault.action == "slurmctld_restart":
        ctld = container("ctld")
        return [[engine, "stop", "-t", str(STOP_TIMEOUT_S), ctld], [engine, "start", ctld]]
    if fault.action == "slow_node":
        return [[engine, "update", "--cpus", f"{max(cores / fault.factor, 0.01):g}",
                 container(node)]]
    raise ValueError(f"{fault.action} is not an scontrol or engine fault")


def note(cluster, fault: Fault, when: float, **detail: str) -> None:
    """The fault as a Graphite annotation and a receiver event when the cluster has
    monitoring (workload/cluster/collect/annotate.py; it never stops the run)."""
    from workload.cluster.collect import annotate
    ends = getattr(cluster, "monitoring", None)   # a stand-in cluster (tests) has none
    if ends is None:
        return
    node = "ctld" if fault.action == "slurmctld_restart" else fault_node(fault)
    annotate.fault(ends, cluster.name, fault.action, node, when=when,
                   detail={"at_s": f"{fault.at_s:g}", **detail})


class SlurmFaults:
    """Applies faults to a running container cluster at their times."""

    def __init__(self, cluster, faults: Sequence[Fault]) -> None:
        self.cluster, self.faults = cluster, tuple(faults)
        self.applied: list[dict[str, object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, epoch: float) -> None:
        self._thread = threading.Thread(target=self._run, args=(epoch,), daemon=True,
                                        name="wlgen-faults")
        self._thread.start()

    def stop(self) -> None:
        """Stop before the next fault; a fault under way finishes (a stopped ctld restarts)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT_S + 60)
        done = len(self.applied)
        for fault in self.faults[done:]:
            self.applied.append({**fault.to_dict(), "outcome": "not reached (run ended)"})

    def _run(self, epoch: float) -> None:
        for fault in self.faults:
            if self._stop.wait(max(0.0, epoch + fault.at_s - time.time())):
                return
            began = time.time()
            try:
                detail = self.apply(fault)
                outcome = "applied"
            except (WlgenError, OSError) as err:
                detail, outcome = str(err), "failed"
            self.applied.append({**fault.to_dict(), "outcome": outcome, "detail": detail,
                                 "began_s": round(began - epoch, 3),
                                 "took_s": round(time.time() - began, 3)})
            if fault.action not in ("link_down", "link_up"):   # workload.fabric notes those
                note(self.cluster, fault, began, outcome=outcome, detail=detail)

    def apply(self, fault: Fault) -> str:
        if fault.action in ("link_down", "link_up"):
            from workload.fabric.faults import link
            link(self.cluster, fault_node(fault), up=fault.action == "link_up")
            done = "plugged" if fault.action == "link_up" else "pulled"
            return f"{fault_node(fault)} cable {done}"
        engine = self.cluster.engine
        steps = fault_argv(fault, engine.name, self.cluster.container, os.cpu_count() or 1)
        if fault.action == "node_up":
            return self._resume(fault_node(fault))
        if fault.action == "node_down":
            for step in steps:
                self.cluster.slurm(step)
            return "; ".join(" ".join(s) for s in steps)
        from workload.cluster import proc
        proc.run(engine, steps[0], timeout=STOP_TIMEOUT_S + 60)
        if len(steps) > 1:           # slurmctld_restart: stay down, then start again
            time.sleep(fault.down_s)
            proc.run(engine, steps[1], timeout=120)
        return "; ".join(" ".join(s) for s in steps)


    def _resume(self, node: str) -> str:
        """RESUME when Slurm holds the node DOWN or drained; a node already back (by
        itself, ReturnToService, or never down) is up, decided from its state."""
        from workload.cluster import nodes
        return nodes.resume(nodes.CtldCommands(self.cluster), node).detail


class FaultingBackend(Backend):
    """A backend plus a fault driver started when the run attaches and stopped at close."""

    def __init__(self, inner: Backend, faults: SlurmFaults) -> None:
        self.inner, self.faults = inner, faults
        self.name, self.realtime = inner.name, inner.realtime

    def attach(self, env: simpy.Environment, emit: Emit, epoch: float, run_id: str = "") -> None:
        self.inner.attach(env, emit, epoch, run_id)
        self.faults.start(epoch)

    def describe(self) -> ClusterInfo:
        return self.inner.describe()

    def submit(self, spec: JobSpec) -> None:
        self.inner.submit(spec)

    def cancel(self, seqs: Iterable[int]) -> None:
        self.inner.cancel(seqs)

    def failure(self) -> BackendError | None:
        return self.inner.failure()

    def report(self) -> dict[str, object]:
        return self.inner.report()

    def close(self) -> None:
        try:
            self.faults.stop()
        finally:
            self.inner.close()

    def __getattr__(self, name: str):
        # Backend-specific attributes (e.g. the Slurm backend's job name prefix).
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
