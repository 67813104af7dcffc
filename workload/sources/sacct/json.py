"""``sacct --json``: one object with a "jobs" list, whose shape changes by Slurm release.

Seen in the stored dumps (tests/data/sacct/): 22.05 (data_parser v0.0.38) gives plain
numbers and strings, no submit line; 24.11 (v0.0.42) and 26.05 (v0.0.45) wrap numbers
as ``{"set", "infinite", "number"}`` and states as lists, and add ``submit_line``. Every
accessor below takes either shape. Steps live inside each job and are not rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from workload.errors import InputError
from workload.sources.sacct import fields
from workload.sources.sacct.record import JobId, SacctRecord


def looks_like(head: str) -> bool:
    """True when the text starts like a JSON object that mentions "jobs"."""
    return head.lstrip().startswith("{") and '"jobs"' in head or head.lstrip() == "{"


def number(value: Any) -> float | None:
    """A plain number or a v0.0.40+ ``{"set": true, "infinite": false, "number": N}``."""
    if isinstance(value, dict):
        if not value.get("set", True) or value.get("infinite"):
            return None
        value = value.get("number")
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    return float(value)


def _int(value: Any) -> int | None:
    found = number(value)
    return None if found is None else int(found)


def _whole(text: str | None) -> int | None:
    return int(text) if text else None


def _when(value: Any) -> float | None:
    found = number(value)
    return None if not found else found   # 0 is sacct's "Unknown"


def _text(value: Any) -> str | None:
    if isinstance(value, list):            # states: ["CANCELLED"] (v0.0.40+)
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def tres(entries: Any) -> dict[str, str]:
    """A TRES list as sacct -P would print it: cpu, mem (MB), node, gres/gpu[:type]."""
    out: dict[str, str] = {}
    for entry in entries or []:
        name, kind, count = entry.get("name"), entry.get("type"), _int(entry.get("count"))
        if count is None or count < 0 or not kind:
            continue
        out[f"{kind}/{name}" if name else kind] = str(count)
    return out


def jobs(text: str, path: str) -> list[dict[str, Any]]:
    """The "jobs" list of a dump; an InputError when the text is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"not JSON: {err.msg}", file=path, line=err.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise InputError('a sacct --json dump must be an object with a "jobs" list',
                         file=path, line=1, field="jobs")
    for index, job in enumerate(data["jobs"]):
        if not isinstance(job, dict):     # every reader below asks it for its keys
            raise InputError(f"each job must be an object, not {type(job).__name__}",
                             file=path, line=1, field=f"jobs[{index}]")
    return data["jobs"]


def job_id(job: dict[str, Any]) -> JobId:
    array, het = job.get("array") or {}, job.get("het") or {}
    het_job, offset = _int(het.get("job_id")), _int(het.get("job_offset"))
    if het_job and offset is not None:
        return JobId(het_job, het_offset=offset)
    array_job, task = _int(array.get("job_id")), _int(array.get("task_id"))
    if array_job and task is not None:
        return JobId(array_job, task)
    if array_job and array.get("task"):
        return JobId(array_job, task_range=f"[{array['task']}]")
    return JobId(int(number(job.get("job_id")) or 0))


def record(job: dict[str, Any], index: int, path: str) -> SacctRecord:
    """One element of "jobs" as a record (``index`` 1-based, stands for the line)."""
    try:
        return _record(job, index)
    except (ValueError, TypeError, AttributeError) as err:
        raise InputError(f"job {job.get('job_id')!r}: {err}", file=path, line=index,
                         field="jobs") from None


def _record(job: dict[str, Any], index: int) -> SacctRecord:
    when, req = job.get("time") or {}, job.get("required") or {}
    requested, allocated = tres((job.get("tres") or {}).get("requested")), tres(
        (job.get("tres") or {}).get("allocated"))
    gpu_count, gpu_type = fields.gpus(allocated or requested)
    mem = requested.get("mem") or allocated.get("mem")
    limit = number(when.get("limit"))
    exit_code = job.get("exit_code") or {}
    ident = job_id(job)
    return SacctRecord(
        line=index, id=ident, raw_id=int(number(job.get("job_id")) or 0),
        name=job.get("name") or "", user=job.get("user") or "",
        state=_text((job.get("state") or {}).get("current")) or "",
        submit=_when(when.get("submission")), start=_when(when.get("start")),
        end=_when(when.get("end")), eligible=_when(when.get("eligible")),
        elapsed_s=number(when.get("elapsed")),
        time_limit_s=None if limit is None else limit * 60.0,
        req_cpus=_int(req.get("CPUs")), alloc_cpus=_whole(allocated.get("cpu")),
        nodes=_int(job.get("allocation_nodes")), req_nodes=_whole(requested.get("node")),
        mem_mb=float(mem) if mem else None, mem_per="job" if mem else "",
        gpus=gpu_count, gpu_type=gpu_type, group=job.get("group") or None,
        account=job.get("account") or None, partition=job.get("partition") or None,
        qos=job.get("qos") or None, exit_code=_exit(exit_code),
        submit_line=job.get("submit_line") or None, priority=_int(job.get("priority")),
        array_job=ident.job if ident.task is not None or ident.task_range else None,
        extra={f"ReqTRES.{k}": v for k, v in requested.items()})


def _exit(code: dict[str, Any]) -> int | None:
    """``{"return_code": 3, "signal": {"id": 9}}`` as one number (128+signal if killed)."""
    value = _int(code.get("return_code"))
    signal = code.get("signal") or {}
    sig = _int(signal.get("id")) if isinstance(signal, dict) else None
    if value == 0 and sig:
        return 128 + sig
    return value


def steps(job: dict[str, Any]) -> int:
    return len(job.get("steps") or [])


def records(text: str, path: str) -> Iterator[SacctRecord]:
    for index, job in enumerate(jobs(text, path), start=1):
        yield record(job, index, path)
