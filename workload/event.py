"""Job lifecycle events: the one record everything downstream reads.

Times are Unix epoch seconds taken from the backend (Slurm's own timestamps, or the
simulator's virtual clock mapped onto the run's epoch), never the time we noticed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

_s = json.encoder.encode_basestring_ascii


def _n(value: float | int | None) -> str:
    """A JSON number or null; non-finite floats become null (JSON has no NaN)."""
    if value is None or (value.__class__ is float and not math.isfinite(value)):
        return "null"
    return repr(value)


def _strings(names: tuple[str, ...]) -> str:
    """JSON strings joined by commas, escaped in one call: a start event names each of
    its nodes (hundreds, on a wide job). Joined by newlines, which the escaper always
    writes as two characters: if the escaped text is longer by exactly that, nothing
    else needed escaping and each newline is a boundary between two names."""
    raw = "\n".join(names)
    escaped = _s(raw)
    if len(escaped) == len(raw) + len(names) + 1:
        return escaped.replace("\\n", '","')
    return ",".join(map(_s, names))


SUBMIT, START, END, STATE = "submit", "start", "end", "state"
KINDS = (SUBMIT, START, END, STATE)

# Final states, named as Slurm names them.
COMPLETED, FAILED, TIMEOUT, CANCELLED = "COMPLETED", "FAILED", "TIMEOUT", "CANCELLED"
NODE_FAIL, OUT_OF_MEMORY, PREEMPTED = "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED"
# Non-final states an event can report.
PENDING, RUNNING, REQUEUED = "PENDING", "RUNNING", "REQUEUED"
# A job the backend refused at submit (sbatch error): never ran, still accounted for.
REJECTED = "REJECTED"
FINAL_STATES = (COMPLETED, FAILED, TIMEOUT, CANCELLED, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED,
                REJECTED)


@dataclass(frozen=True, slots=True)
class Event:
    """One transition of one job.

    kind   submit | start | end | state (e.g. REQUEUED, a node went down)
    state  the job's state after the transition (PENDING, RUNNING, a final state...)
    """

    kind: str
    time: float
    seq: int
    job_id: str
    state: str
    user: str = ""
    partition: str = ""
    procs: int = 0
    nodes: tuple[str, ...] = ()
    exit_code: int | None = None
    reason: str = ""
    # Real-time submits only: how long the submit call took, and how late it began
    # against the intended time (epoch + spec.submit_s).
    submit_latency_s: float | None = None
    submit_error_s: float | None = None
    # Start events: the job's scheduling priority when it started (Slurm's number, or the
    # simulator's multifactor value), and ``reason`` the last reason it waited (Slurm's
    # names: Priority, Resources, Dependency...). None where the backend cannot tell.
    priority: int | None = None
    # Start events: the GPUs the job was given, one ``node:index`` each (issue 16); empty
    # for a job without GPUs or where the backend cannot tell which ones.
    gpus: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        # Built by hand: dataclasses.asdict deep-copies and was most of a run's time.
        return {"kind": self.kind, "time": self.time, "seq": self.seq, "job_id": self.job_id,
                "state": self.state, "user": self.user, "partition": self.partition,
                "procs": self.procs, "nodes": list(self.nodes), "exit_code": self.exit_code,
                "reason": self.reason, "submit_latency_s": self.submit_latency_s,
                "submit_error_s": self.submit_error_s, "priority": self.priority,
                "gpus": list(self.gpus)}

    def to_json(self) -> str:
        """One compact JSON object, the line format of events.jsonl.

        Formatted directly (strings through json's C escaper): a run writes millions of
        these and ``json.dumps(to_dict())`` was the largest cost of a simulation. The
        optional fields, None on most events, are tested inline: a helper call per
        field was a third of the line's cost.
        """
        time, code, lat, err, pri = (self.time, self.exit_code, self.submit_latency_s,
                                     self.submit_error_s, self.priority)
        nodes, gpus = self.nodes, self.gpus
        return (f'{{"kind":{_s(self.kind)},"time":{_n(time)},"seq":{self.seq},'
                f'"job_id":{_s(self.job_id)},"state":{_s(self.state)},"user":{_s(self.user)},'
                f'"partition":{_s(self.partition)},"procs":{self.procs},'
                f'"nodes":[{_strings(nodes) if nodes else ""}],'
                f'"exit_code":{"null" if code is None else _n(code)},'
                f'"reason":{_s(self.reason)},'
                f'"submit_latency_s":{"null" if lat is None else _n(lat)},'
                f'"submit_error_s":{"null" if err is None else _n(err)},'
                f'"priority":{"null" if pri is None else _n(pri)},'
                f'"gpus":[{_strings(gpus) if gpus else ""}]}}')

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> "Event":
        known = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        known["nodes"] = tuple(known.get("nodes", ()))
        known["gpus"] = tuple(known.get("gpus", ()))
        return cls(**known)
