"""Heterogeneous jobs in a dump: the rows ``13+0``, ``13+1``... of one job become one job.

Slurm starts all components of a heterogeneous job together or none
(heterogeneous_jobs.shtml, "all heterogeneous job components are either all scheduled
at the same time or deferred"), and they end together, so the first component's row
(``+0``) says when the job was submitted, ran and how it ended; each further row adds a
``Component`` (its CPUs, nodes, memory, GPUs, partition).

Every row is accounted for: the job is submitted once (its first row) and its further
rows are counted under ``HET_COMPONENT``; a job that cannot be replayed has each of its
rows counted under the first row's reason (``unusable``).
"""

from __future__ import annotations

from collections import defaultdict

from workload.sources.sacct.build import mem_per_cpu
from workload.sources.sacct.record import SacctRecord
from workload.spec import Component

HET_COMPONENT = "heterogeneous job component after the first (replayed within its job)"
NO_FIRST = "heterogeneous job component whose first component (+0) is not in the dump"


def further(records: list[SacctRecord]) -> dict[int, list[SacctRecord]]:
    """The rows of components 1, 2... by their job id, in component order."""
    out: dict[int, list[SacctRecord]] = defaultdict(list)
    for record in records:
        if record.id.het_offset:
            out[record.id.job].append(record)
    for rows in out.values():
        rows.sort(key=lambda r: r.id.het_offset or 0)
    return dict(out)


def firsts(records: list[SacctRecord]) -> set[int]:
    """Job ids of the heterogeneous jobs whose first component's row is in the dump."""
    return {r.id.job for r in records if r.id.het_offset == 0}


def unusable(rows: list[SacctRecord]) -> str | None:
    """Why a job's further components cannot be replayed with it (None: they can)."""
    for row in rows:
        if not (row.req_cpus or row.alloc_cpus):
            return f"heterogeneous job whose component +{row.id.het_offset} has no CPU count"
    return None


def components(rows: list[SacctRecord], first: SacctRecord, *,
               use_memory: bool) -> tuple[Component, ...]:
    """The further components, each with its own shape. A component's node count is
    ReqNodes when above one (the submit line is the whole job's, so its -N is not); its
    partition is None when it is the first component's (so whatever maps or replaces
    the job's partition holds for it too)."""
    out = []
    for row in rows:
        procs = int(row.req_cpus or row.alloc_cpus or 1)
        nodes = row.req_nodes if row.req_nodes and row.req_nodes > 1 else None
        out.append(Component(procs, nodes,
                             mem_per_cpu(row, procs) if use_memory else None,
                             row.gpus, row.gpu_type,
                             None if row.partition == first.partition else row.partition))
    return tuple(out)
