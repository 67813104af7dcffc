"""One accounting record, the same whichever dump it came from (sacct -P/-p or --json)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# 123, 123_4, 123_[0-5%3], 13+0, 123.batch, 123.0, 123_4.extern, 13+1.0
_JOB_ID = re.compile(r"^(\d+)(?:_(\d+|\[[^\]]*\]))?(?:\+(\d+))?(?:\.(.+))?$")


@dataclass(frozen=True, slots=True)
class JobId:
    """sacct's JobID split: the job, its array task (or pending task range), its
    heterogeneous component and its step."""

    job: int
    task: int | None = None
    task_range: str | None = None   # "[0-5%3]": tasks not yet started, one row for all
    het_offset: int | None = None
    step: str | None = None

    @property
    def is_step(self) -> bool:
        return self.step is not None


def job_id(text: str) -> JobId:
    """Parse a JobID; ``ValueError`` when it is none of sacct's shapes."""
    match = _JOB_ID.match(text.strip())
    if not match:
        raise ValueError("must be JOB, JOB_TASK, JOB_[RANGE], JOB+OFFSET, optionally .STEP")
    job, task, het, step = match.groups()
    task_id = int(task) if task and task.isdigit() else None
    return JobId(int(job), task_id, task if task and task.startswith("[") else None,
                 int(het) if het is not None else None, step)


@dataclass(frozen=True, slots=True)
class SacctRecord:
    """One job (allocation) row. Times are epoch seconds; None where sacct had none."""

    line: int                     # line of the dump (JSON: 1-based index in "jobs")
    id: JobId
    raw_id: int | None            # JobIDRaw: unique per array task (None: not dumped)
    name: str
    user: str
    state: str                    # the state word (CANCELLED, not "CANCELLED by 0")
    submit: float | None
    start: float | None = None
    end: float | None = None
    eligible: float | None = None
    elapsed_s: float | None = None
    time_limit_s: float | None = None   # None: UNLIMITED or not in the dump
    req_cpus: int | None = None
    alloc_cpus: int | None = None
    nodes: int | None = None
    req_nodes: int | None = None
    mem_mb: float | None = None
    mem_per: str = ""             # "cpu", "node", "job" or "" (unknown)
    gpus: int = 0
    gpu_type: str | None = None
    group: str | None = None
    account: str | None = None
    partition: str | None = None
    qos: str | None = None
    exit_code: int | None = None
    submit_line: str | None = None
    priority: int | None = None
    array_job: int | None = None  # the array's job id (JSON gives it; -P: JobID's JOB)
    extra: dict[str, str] = field(default_factory=dict)   # TRES as read, for whoever needs

    @property
    def started(self) -> bool:
        return self.start is not None and self.end is not None and (
            self.elapsed_s is None or self.elapsed_s > 0 or self.start < self.end
            or self.state not in ("CANCELLED",))
