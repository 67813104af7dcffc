"""Accounting records as job specs: what each column becomes, and why a row is skipped.

A record becomes a JobSpec when it ran (started and ended). Its submit time is its
Eligible time when it was submitted with ``--begin``; its run time is Elapsed; a job that
ended FAILED, TIMEOUT, CANCELLED (while running) or otherwise carries that end on the
spec (``final_state``, ``exit_code``, ``cancel_after_s``) so a backend can replay it.
"""

from __future__ import annotations

import math
from collections import Counter

from workload.sources.sacct import submitline
from workload.sources.sacct.record import SacctRecord
from workload.spec import JobSpec

UNFINISHED = frozenset({"PENDING", "RUNNING", "REQUEUED", "RESIZING", "SUSPENDED",
                        "COMPLETING", "CONFIGURING", "STAGE_OUT", "SIGNALING", "REQUESTED",
                        "RESV_DEL_HOLD", "REQUEUE_FED", "REQUEUE_HOLD", "SPECIAL_EXIT",
                        "STOPPED", "POWER_UP_NODE", "UPDATE_DB", "REVOKED"})
#: A timed-out job's payload outlasts its limit by this much on replay: Slurm kills it.
TIMEOUT_MARGIN_S = 60.0


def unusable(record: SacctRecord) -> str | None:
    """Why a job row cannot be replayed, or None when it can."""
    if record.id.task_range:
        return "array tasks that never started (one row for the range)"
    if record.state in UNFINISHED:
        return f"still {record.state} when dumped"
    if record.submit is None:
        return "no submit time"
    if not ran(record):
        return f"{record.state} before it started"
    if not (record.req_cpus or record.alloc_cpus):
        return "no CPU count"
    return None


def ran(record: SacctRecord) -> bool:
    """Started and ended. A job cancelled while pending has Start Unknown, or Start ==
    End and no elapsed time (so a job cancelled in the second it started, after 0 s, is
    counted as never started). Without Start and End columns, a job that was not
    cancelled, or ran for some time, ran."""
    if record.start is None and record.end is None:   # neither column dumped
        return bool(record.elapsed_s) or record.state != "CANCELLED"
    if record.start is None or record.end is None:
        return False
    if record.start >= record.end and not record.elapsed_s:
        # 24.11+: Start Unknown; 22.05 gives a job cancelled for a dependency that can
        # never be met Start == End and its CPUs. Either way it ran for no time at all.
        return record.state != "CANCELLED" and bool(record.alloc_cpus)
    return True


def runtime(record: SacctRecord) -> float:
    if record.elapsed_s is not None:
        return record.elapsed_s
    return max((record.end or 0.0) - (record.start or 0.0), 0.0)


def submit_time(record: SacctRecord) -> float:
    """Eligible when --begin held the job (a site's own delay, not queueing), else Submit."""
    if record.eligible is not None and submitline.used_begin(record.submit_line):
        return record.eligible
    return float(record.submit or 0.0)


def mem_per_cpu(record: SacctRecord, procs: int) -> int | None:
    if not record.mem_mb:
        return None
    if record.mem_per == "cpu":
        return math.ceil(record.mem_mb)
    nodes = (record.nodes or 1) if record.mem_per == "node" else 1
    return math.ceil(record.mem_mb * nodes / procs)


def node_pin(record: SacctRecord) -> int | None:
    """The node count the job asked for: -N from its submit line; without a submit line,
    ReqNodes when above one (a single node is what any one-node job shows)."""
    if record.submit_line:
        return submitline.node_count(record.submit_line)
    return record.req_nodes if record.req_nodes and record.req_nodes > 1 else None


def fail_args(record: SacctRecord) -> tuple[str, ...]:
    """A failed job's payload exits as it did (the kernels' --fail-exit), so real Slurm
    records it FAILED too; 1 when the dump does not say the code."""
    if record.state not in ("FAILED", "OUT_OF_MEMORY"):
        return ()
    code = record.exit_code if record.exit_code and 0 < record.exit_code < 256 else 1
    return ("--fail-exit", str(code))


def to_spec(record: SacctRecord, seq: int, t0: float, notes: Counter[str], *,
            use_memory: bool) -> JobSpec:
    """One usable record as a spec; ``notes`` counts what was approximated."""
    procs = int(record.req_cpus or record.alloc_cpus or 1)
    run = runtime(record)
    limit = record.time_limit_s
    if limit is None:
        notes["time limit UNLIMITED or absent: run time used"] += 1
        limit = max(run, 1.0)
    state = record.state
    if state == "TIMEOUT":
        run = max(run, limit) + TIMEOUT_MARGIN_S
    return JobSpec(
        seq=seq, submit_s=submit_time(record) - t0, procs=procs, runtime_s=float(run),
        time_limit_s=float(limit), nodes=node_pin(record),
        mem_per_cpu_mb=mem_per_cpu(record, procs) if use_memory else None,
        user=record.user or "nobody", group=record.group or record.user or "nobody",
        account=record.account, partition=record.partition, source_id=record.raw_id,
        name=record.name or None, qos=record.qos, gpus=record.gpus, gpu_type=record.gpu_type,
        final_state=None if state == "COMPLETED" else state,
        exit_code=record.exit_code if record.exit_code else None,
        cancel_after_s=float(runtime(record)) if state == "CANCELLED" else None,
        payload_args=fail_args(record),
        array_job=record.array_job, array_task=record.id.task,
        array_throttle=submitline.array_throttle(record.submit_line)
        if record.array_job is not None else None,
        gpus_per_node=per_node_gpus(record))


def per_node_gpus(record: SacctRecord) -> bool:
    """The job asked ``--gpus-per-node=N`` on its pinned nodes and got N on each (its
    GPUs are then replayed per node, as sbatch --gpus-per-node)."""
    each, nodes = submitline.gpus_per_node(record.submit_line), node_pin(record)
    return bool(each and nodes and record.gpus == each * nodes)
