"""Job tags: every job of a run carries ``wlgen.<run id>.<seq>`` as its Slurm job name.

The job name (not ``--comment``) because sacct stores names on every Slurm version,
while comments reach accounting only with ``AccountingStoreFlags=job_comment``. A run's
jobs are then found, reconciled and cancelled by that prefix alone. An array job
(pack.py) is named after its first job; its tasks map back to jobs by task id.
"""

from __future__ import annotations

import functools
import re

PREFIX = "wlgen"
_RUN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


@functools.lru_cache(maxsize=64)
def run_prefix(run_id: str) -> str:
    """The name prefix shared by every job of ``run_id`` (the trailing dot included)."""
    if not _RUN.match(run_id):
        raise ValueError(f"run id {run_id!r} must match {_RUN.pattern}")
    return f"{PREFIX}.{run_id}."


def job_name(run_id: str, seq: int) -> str:
    return f"{run_prefix(run_id)}{int(seq)}"


def seq_of(name: str, prefix: str) -> int | None:
    """The sequence number in job name ``name`` when it belongs to ``prefix``'s run."""
    if not name.startswith(prefix):
        return None
    tail = name[len(prefix):]
    return int(tail) if tail.isdigit() else None
