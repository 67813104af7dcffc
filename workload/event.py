"""Job lifecycle events: the one record everything downstream reads.

Times are Unix epoch seconds taken from the backend (Slurm's own timestamps, or the
simulator's virtual clock mapped onto the run's epoch), never the time we noticed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["nodes"] = list(self.nodes)
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> "Event":
        known = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        known["nodes"] = tuple(known.get("nodes", ()))
        return cls(**known)
