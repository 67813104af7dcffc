"""One squeue and one sinfo -> partition and node metrics (pure parsers).

Both run in the same exec as sdiag (see :data:`CTLD_SCRIPT`): one engine exec a
interval is most of the collector's cost. squeue lists the pending and running jobs as
``partition|state|cpus|nodelist``; ``sinfo -N`` one line per node and partition as
``node|partition|state|alloc/idle/other/total cpus``.

A node's ``state`` is Slurm's base node state as a number, the values of
``enum node_states`` in slurm.h (what ``NODE_STATE_BASE`` masks), so a graph of it reads
like Slurm's own code:

    0 unknown   1 down   2 idle   3 allocated   4 error   5 mixed   6 future

sinfo's long names carry flags on top of the base state: ``drained``/``draining`` (the
DRAIN flag; drained is idle, draining still runs jobs: allocated), ``completing``
(allocated), ``reserved``/``planned``/``blocked`` (idle), ``powered_down``/
``powering_up``/``inval`` (down/unknown), and a ``*`` suffix (not responding). The flags
go to their own metrics: ``drain`` (0/1) and ``not_responding`` (0/1). A state this
table does not know is an error, never a silent 0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from workload.backends.slurm.parse import expand_hostlist

SEPARATOR = "@@wlgen-collect@@"
SQUEUE = "squeue -h -t PENDING,RUNNING -o '%P|%T|%C|%N'"
SINFO = "sinfo -h -N -o '%N|%P|%T|%C'"
#: sdiag, squeue and sinfo in one exec; each output after a separator line. ``set -e``:
#: a failing command ends it, so the exec fails instead of leaving an output empty.
CTLD_SCRIPT = f"set -e; sdiag; echo {SEPARATOR}; {SQUEUE}; echo {SEPARATOR}; {SINFO}"

UNKNOWN, DOWN, IDLE, ALLOCATED, ERROR, MIXED, FUTURE = range(7)
#: sinfo's long state name (flags stripped) -> base state number
STATES = {
    "unknown": UNKNOWN, "down": DOWN, "idle": IDLE, "allocated": ALLOCATED,
    "error": ERROR, "mixed": MIXED, "future": FUTURE,
    "drained": IDLE, "draining": ALLOCATED, "drain": IDLE, "completing": ALLOCATED,
    "reserved": IDLE, "planned": IDLE, "blocked": IDLE, "inval": UNKNOWN,
    "powered_down": DOWN, "powering_down": DOWN, "powering_up": UNKNOWN,
    "rebooting": DOWN, "reboot_issued": DOWN, "reboot_requested": IDLE,
    "perfctrs": ALLOCATED, "maint": IDLE, "fail": DOWN, "failing": ALLOCATED,
}
_DRAIN = ("drained", "draining", "drain")
_SUFFIXES = "*~#!%$@^-"   # not responding, powered down, powering up, ... (sinfo(1))


@dataclass(frozen=True, slots=True)
class NodeState:
    state: int
    drain: bool
    not_responding: bool


def split_outputs(text: str) -> tuple[str, str, str]:
    """The exec's stdout -> (sdiag, squeue, sinfo) texts."""
    parts = text.split(SEPARATOR + "\n")
    if len(parts) != 3:
        raise ValueError(f"expected 3 outputs separated by {SEPARATOR}, got {len(parts)}")
    return parts[0], parts[1], parts[2]


def node_state(text: str) -> NodeState:
    """sinfo's long state (``idle``, ``down*``, ``drained``, ``mixed+drain``...)."""
    raw = text.strip().lower()
    not_responding = raw.endswith("*")
    base, *flags = raw.rstrip(_SUFFIXES).split("+")
    if base not in STATES:
        raise ValueError(f"unknown Slurm node state {text.strip()!r}")
    return NodeState(STATES[base], base in _DRAIN or "drain" in flags, not_responding)


def _fields(text: str, count: int) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.strip():
            row = line.strip().split("|")
            if len(row) != count:
                raise ValueError(f"expected {count} '|'-separated fields: {line!r}")
            rows.append(row)
    return rows


def partition_metrics(squeue: str, sinfo: str) -> dict[str, float]:
    """``partition.<p>.pending|running|cpus_alloc|cpus_idle`` (jobs, CPUs)."""
    jobs: Counter[tuple[str, str]] = Counter()
    for partition, state, _cpus, _nodes in _fields(squeue, 4):
        jobs[partition, state.upper()] += 1
    cpus: Counter[tuple[str, str]] = Counter()
    for _node, partition, _state, counts in _fields(sinfo, 4):
        alloc, idle, _other, _total = (int(c) for c in counts.split("/"))
        cpus[partition.rstrip("*"), "alloc"] += alloc
        cpus[partition.rstrip("*"), "idle"] += idle
    names = sorted({p for p, _ in jobs} | {p for p, _ in cpus})
    out: dict[str, float] = {}
    for p in names:
        out.update({f"partition.{p}.pending": float(jobs[p, "PENDING"]),
                    f"partition.{p}.running": float(jobs[p, "RUNNING"]),
                    f"partition.{p}.cpus_alloc": float(cpus[p, "alloc"]),
                    f"partition.{p}.cpus_idle": float(cpus[p, "idle"])})
    return out


def node_metrics(squeue: str, sinfo: str) -> dict[str, float]:
    """``node.<n>.state|drain|not_responding|jobs_running`` for every node sinfo lists."""
    running: Counter[str] = Counter()
    for _partition, state, _cpus, nodes in _fields(squeue, 4):
        if state.upper() == "RUNNING":
            running.update(expand_hostlist(nodes))
    out: dict[str, float] = {}
    for node, _partition, state, _cpus in _fields(sinfo, 4):
        seen = node_state(state)
        out.update({f"node.{node}.state": float(seen.state),
                    f"node.{node}.drain": float(seen.drain),
                    f"node.{node}.not_responding": float(seen.not_responding),
                    f"node.{node}.jobs_running": float(running[node])})
    return out


def state_counts(sinfo: str) -> dict[str, float]:
    """``nodes.<state name>``: how many nodes are in each base state (each node once)."""
    names = {v: k for k, v in STATES.items() if k in ("unknown", "down", "idle",
             "allocated", "error", "mixed", "future")}
    seen = {node: node_state(state).state for node, _p, state, _c in _fields(sinfo, 4)}
    counts = Counter(seen.values())
    return {f"nodes.{names[s]}": float(counts[s]) for s in sorted(names)}
