"""A node's state as slurmctld holds it, and returning a node to service without races.

``scontrol show node -o NAME`` says ``State=BASE[+FLAG...]``: IDLE, DOWN+NOT_RESPONDING,
IDLE+DRAIN, DOWN+DRAIN, ... (``tests/cluster/data/show_node_*.txt``, Slurm 22.05).
Slurm accepts ``State=RESUME`` only for a node that is DOWN or drained; for any other it
answers ``Invalid node state specified`` (exit 1). A node whose cable is plugged back can
return by itself (ReturnToService=2) at any moment, also between our reading its state
and our RESUME. So "already up" is decided from the node's state: RESUME only when the
state asks for it, and when RESUME fails, the state read again decides whether that was
the race (the node is no longer DOWN or drained: success) or a real failure (raised).

Every command goes through a ``Commands`` object (``run(argv, timeout=) -> rc, out,
err``): the same seam as ``workload.backends.slurm.runner.Runner``, so tests answer it
with stored real outputs; ``CtldCommands(cluster)`` is the real one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from workload.cluster.wait import wait_for
from workload.errors import ClusterError


class Answer(Protocol):
    @property
    def rc(self) -> int: ...
    @property
    def out(self) -> str: ...
    @property
    def err(self) -> str: ...


class Commands(Protocol):
    """Runs one Slurm client command (``backends.slurm.runner.Runner`` fits)."""

    def run(self, argv: Sequence[str], *, timeout: float = 60) -> Answer: ...


@dataclass(frozen=True, slots=True)
class Done:
    rc: int
    out: str
    err: str


class CtldCommands:
    """Slurm client commands run on a container cluster's controller."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster

    def run(self, argv: Sequence[str], *, timeout: float = 60) -> Done:
        done = self.cluster.exec("ctld", list(argv), timeout=timeout)
        return Done(done.returncode, done.stdout.decode(errors="replace"),
                    done.stderr.decode(errors="replace"))


@dataclass(frozen=True, slots=True)
class NodeState:
    """``State=`` of ``scontrol show node``: a base state and its flags."""

    base: str
    flags: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> NodeState:
        """From ``scontrol show node -o`` output (one node). Pure."""
        found = re.search(r"(?:^|\s)State=(\S+)", text)
        if not found:
            raise ClusterError(f"no State= in scontrol's answer: {text.strip()[:200]!r}")
        base, *flags = found.group(1).rstrip("*").split("+")
        return cls(base, frozenset(flags))

    @property
    def needs_resume(self) -> bool:
        """DOWN or drained (DRAIN flag): what RESUME is for, and the only states it takes."""
        return self.base == "DOWN" or "DRAIN" in self.flags

    @property
    def responding(self) -> bool:
        return "NOT_RESPONDING" not in self.flags

    @property
    def up(self) -> bool:
        """In service: responding, neither DOWN nor drained, not UNKNOWN (a node not yet
        registered after a controller restart) nor FUTURE."""
        return (self.responding and not self.needs_resume
                and self.base not in ("UNKNOWN", "FUTURE"))

    @property
    def lost(self) -> bool:
        """What Slurm says of an unreachable node: not responding, then DOWN."""
        return not self.responding or self.base == "DOWN"

    def __str__(self) -> str:
        return "+".join((self.base, *sorted(self.flags)))


def show(commands: Commands, node: str) -> NodeState:
    """``node``'s state now (``scontrol show node -o``); ClusterError if scontrol fails."""
    done = commands.run(["scontrol", "show", "node", "-o", node], timeout=30)
    if done.rc != 0:
        raise ClusterError(f"scontrol show node {node} failed (exit {done.rc}): "
                           f"{(done.err or done.out).strip()}")
    return NodeState.parse(done.out)


@dataclass(frozen=True, slots=True)
class Resumed:
    """What ``resume`` did: ``sent`` a RESUME that Slurm took, and in words."""

    sent: bool
    detail: str


def resume(commands: Commands, node: str, before: NodeState | None = None) -> Resumed:
    """Return ``node`` to service if Slurm holds it DOWN or drained (``before``: its
    state as just read, else it is read first).

    A RESUME that fails is accepted only when the state read afterwards shows the node
    no longer DOWN or drained (it came back by itself in between)."""
    before = before or show(commands, node)
    if not before.needs_resume:
        return Resumed(False, f"{node} needed no RESUME (state {before})")
    done = commands.run(["scontrol", "update", f"NodeName={node}", "State=RESUME"],
                        timeout=30)
    if done.rc == 0:
        return Resumed(True, f"{node} resumed (was {before})")
    after = show(commands, node)
    if not after.needs_resume:
        return Resumed(False, f"{node} came back by itself (was {before}, now {after})")
    raise ClusterError(f"scontrol update NodeName={node} State=RESUME failed (exit "
                       f"{done.rc}, state {after}): {(done.err or done.out).strip()}")


def return_to_service(commands: Commands, node: str, timeout: float, *,
                      on_resume: Callable[[str], None] = lambda what: None,
                      interval: float = 1.0) -> NodeState:
    """Wait until ``node`` is up, resuming it whenever Slurm holds it DOWN or drained
    (also when it is marked DOWN only while we wait: a late SlurmdTimeout). ``on_resume``
    hears each RESUME that was sent. Returns the state that was up."""

    def step() -> NodeState | None:
        state = show(commands, node)
        if state.up:
            return state
        if state.needs_resume:
            done = resume(commands, node, state)
            if done.sent:
                on_resume(done.detail)
        return None

    state = wait_for(step, timeout, f"Slurm to return {node} to service", interval=interval)
    assert state is not None     # wait_for returns only a truthy answer
    return state
