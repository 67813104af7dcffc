"""slurmrestd requests and responses, built and parsed purely (no I/O here).

Two shapes of the API are known. v0.0.38 (Slurm 22.05): plain numbers, states as
strings, the environment as an object, squeue's exit code as a wait status. v0.0.40 and
later (23.11 .. 26.05: v0.0.40-v0.0.44; tested on v0.0.42 of 24.11 and v0.0.44 of 26.05):
numbers may come as {"set", "infinite", "number"}, states as lists of flags, the
environment as "KEY=value" strings, the script inside the job. Which one a server
speaks is read from its own OpenAPI document.

The job description renders the same ``SubmitRequest`` as :mod:`command`'s sbatch
argv, so both clients validate and default every spec field the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from workload.backends.slurm.parse import (JobRecord, expand_hostlist, gpu_indices,
                                           merge_het, parse_gres, wait_status_exit)
from workload.backends.slurm.request import SubmitRequest
from workload.backends.slurm.states import normalize
from workload.errors import InputError

#: Data-parser versions wlgen speaks, oldest first (v0.0.39 was 23.02's, never tested).
KNOWN = ("v0.0.38", "v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44")
_SUBMIT = re.compile(r"^/slurm/(v0\.0\.\d+)/job/submit$")
_UNFINISHED = ("PENDING", "RUNNING", "REQUEUED")
_JOB_ID = re.compile(r"^\d+(_\d+)?$")


@dataclass(frozen=True, slots=True)
class Api:
    """One API version of one server; ``slash`` is the trailing "/" 24.11 lists paths with."""

    version: str
    slash: str = ""

    @property
    def legacy(self) -> bool:
        """True for v0.0.38's shapes."""
        return self.version == "v0.0.38"

    def slurm(self, what: str) -> str:
        return f"/slurm/{self.version}/{what}{self.slash if '/' not in what else ''}"

    def slurmdb(self, what: str) -> str:
        return f"/slurmdb/{self.version}/{what}{self.slash}"

    def job(self, job_id: str) -> str:
        """One job's path: "123", or "123_4" for task 4 of array 123 (both servers
        cancel just that task); anything else is refused before it reaches a URL."""
        if not _JOB_ID.match(job_id):
            raise ValueError(f"not a Slurm job id: {job_id!r}")
        return f"/slurm/{self.version}/job/{job_id}"


def pick_api(openapi: Mapping[str, Any]) -> Api:
    """The newest known version the server's OpenAPI document offers job submission in.

    ValueError names what it offers when none is known."""
    paths = openapi.get("paths") or {}
    offered = {m.group(1) for p in paths if (m := _SUBMIT.match(p))}
    usable = [v for v in KNOWN if v in offered]
    if not usable:
        raise ValueError(f"it offers {', '.join(sorted(offered)) or 'no /slurm/*/job/submit'}; "
                         f"wlgen knows {', '.join(KNOWN)}")
    version = usable[-1]
    slash = "/" if f"/slurm/{version}/jobs/" in paths else ""
    return Api(version, slash)


# -- submit ----------------------------------------------------------------------------
def job_description(request: SubmitRequest, environment: Mapping[str, str],
                    api: Api) -> dict[str, Any]:
    """The POST job/submit body for ``request``.

    Every field of the request is rendered; one this module cannot render for ``api`` is
    refused with InputError, never dropped."""
    job: dict[str, Any] = {}
    for name in _field_names(type(request)):
        value = getattr(request, name)
        render = _FIELDS.get(name)
        if render is None:
            raise InputError(f"slurmrestd {api.version} cannot take this request field",
                             field=name, value=value)
        job.update(render(value, api))
    script = job.pop("script")
    if request.array_throttle is not None and "array" in job:   # sbatch's "0-5%3"
        job["array"] += f"%{request.array_throttle}"
    env: Any = dict(environment) if api.legacy else [f"{k}={v}" for k, v in
                                                     environment.items()]
    if request.components:
        return het_description(job, script, env, request, api)
    if api.legacy:
        return {"script": script, "job": {**job, "environment": env}}
    return {"job": {**job, "script": script, "environment": env}}


def het_description(first: dict[str, Any], script: str, env: Any, request: SubmitRequest,
                    api: Api) -> dict[str, Any]:
    """A heterogeneous job's body: ``jobs``, one description a component (the first is
    the request's own; each further one the job's options with its own shape, as sbatch
    resets the shape options for each component). The script goes where the API takes
    it (v0.0.38: beside ``jobs``; later: in the first component)."""
    shape = ("tasks", "nodes", "minimum_nodes", "maximum_nodes", "memory_per_cpu",
             "partition", "gpus", "gres", "gpus_per_node", "tres_per_job", "tres_per_node")
    common = {k: v for k, v in first.items() if k not in shape}
    jobs = [{**first, "environment": env}]
    for part in request.components:
        own: dict[str, Any] = {}
        for name in _field_names(type(part)):
            own.update(_FIELDS[name](getattr(part, name), api))
        jobs.append({**common, **own, "environment": env})
    if api.legacy:
        return {"script": script, "jobs": jobs}
    jobs[0]["script"] = script
    return {"jobs": jobs}


Render = Callable[[Any, Api], dict[str, Any]]


_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    """A request type's field names (cached: ``fields()`` costs on every submit)."""
    if kind not in _NAMES:
        _NAMES[kind] = tuple(f.name for f in fields(kind))
    return _NAMES[kind]


def _as(name: str) -> Render:
    """The value under ``name``, or nothing when it is unset (None: Slurm's default)."""
    return lambda value, api: {} if value is None else {name: value}


def _nodes(value: int | None, api: Api) -> dict[str, Any]:
    if value is None:
        return {}
    return {"nodes": [value, value]} if api.legacy else {"minimum_nodes": value,
                                                         "maximum_nodes": value}


def _max_nodes(value: int | None, api: Api) -> dict[str, Any]:
    if value is None:
        return {}
    return {"nodes": [1, value]} if api.legacy else {"minimum_nodes": 1, "maximum_nodes": value}


def _array(value: int, api: Api) -> dict[str, Any]:
    return {} if value == 1 else {"array": f"0-{value - 1}"}


def _exclusive(value: bool, api: Api) -> dict[str, Any]:
    if not value:
        return {}
    return {"exclusive": "true"} if api.legacy else {"shared": ["none"]}


def _gpus(value: str | None, api: Api) -> dict[str, Any]:
    """GPUs for the whole job: v0.0.38's ``gpus`` ("2", "a100:2"); from v0.0.40 on the
    field is gone and ``tres_per_job`` ("gres/gpu:2") says it (read from each server's
    own OpenAPI document: 22.05, 24.11, 26.05)."""
    if value is None:
        return {}
    return {"gpus": value} if api.legacy else {"tres_per_job": f"gres/gpu:{value}"}


def _gres(value: str | None, api: Api) -> dict[str, Any]:
    """GPUs on each node ("gpu:2", "gpu:a100:2"): v0.0.38's ``gres``, later
    ``tres_per_node`` ("gres/gpu:2"), as sbatch --gres sets them."""
    if value is None:
        return {}
    return {"gres": value} if api.legacy else {"tres_per_node": f"gres/{value}"}


def _gpus_per_node(value: str | None, api: Api) -> dict[str, Any]:
    """GPUs on each node as sbatch --gpus-per-node asks: v0.0.38's ``gpus_per_node``
    ("2", "a100:2"), later ``tres_per_node`` ("gres/gpu:2", "gres/gpu:a100:2")."""
    if value is None:
        return {}
    return {"gpus_per_node": value} if api.legacy else {"tres_per_node": f"gres/gpu:{value}"}


#: SubmitRequest field -> job description field(s), for both API shapes.
_FIELDS: dict[str, Render] = {
    "name": _as("name"), "tasks": _as("tasks"), "time_limit_min": _as("time_limit"),
    "script": _as("script"), "nodes": _nodes, "mem_per_cpu_mb": _as("memory_per_cpu"),
    "account": _as("account"), "partition": _as("partition"), "array": _array,
    "output": _as("standard_output"), "chdir": _as("current_working_directory"),
    "qos": _as("qos"), "reservation": _as("reservation"), "constraint": _as("constraints"),
    "exclusive": _exclusive, "requeue": _as("requeue"), "gpus": _gpus,
    "max_nodes": _max_nodes, "gres": _gres, "dependency": _as("dependency"),
    "gpus_per_node": _gpus_per_node,
    "array_throttle": lambda value, api: {},   # part of "array": job_description
    "components": lambda value, api: {},       # het_description renders them
}


def parse_submit(doc: Mapping[str, Any]) -> str:
    """The new job's id from a job/submit answer; ValueError with Slurm's words if none.

    A job id means the job exists, whatever else the answer says: 22.05 answers a job
    queued on drained nodes with its id AND an error ("Required node not available"),
    where sbatch prints the same as a note and succeeds."""
    job_id = doc.get("job_id")
    if isinstance(job_id, int) and not isinstance(job_id, bool) and job_id > 0:
        return str(job_id)
    raise ValueError(error_text(doc) or f"no job id in the answer: {str(doc)[:200]}")


def error_text(doc: Mapping[str, Any]) -> str:
    """Slurm's error messages in an answer, joined ("" when there are none)."""
    out = []
    for err in doc.get("errors") or ():
        words = [str(err.get(k)) for k in ("description", "error") if err.get(k)]
        out.append(": ".join(dict.fromkeys(words)) or str(err))
    return "; ".join(out)


# -- jobs ------------------------------------------------------------------------------
def parse_jobs(doc: Mapping[str, Any]) -> list[JobRecord]:
    """Records from GET /slurm/vX/jobs (squeue's view: queued, running, recently ended).

    Array tasks are named "<array id>_<index>" as squeue --array names them; the one
    record slurmctld keeps for an array's still unsplit pending tasks becomes one record
    per task."""
    out = []
    for j in doc.get("jobs") or ():
        het = _het_id(j.get("het_job_id"), j.get("het_job_offset"))
        for job_id in het or _task_ids(j.get("job_id"), j.get("array_job_id"),
                                       j.get("array_task_id"), j.get("array_task_string")):
            out.append(_record(job_id, str(j.get("name") or ""), _state(j.get("job_state")),
                               str(j.get("state_reason") or ""), j.get("submit_time"),
                               j.get("start_time"), j.get("end_time"),
                               str(j.get("user_name") or ""), str(j.get("partition") or ""),
                               _int(j.get("cpus")), str(j.get("nodes") or ""),
                               _queue_exit(j.get("exit_code")), _priority(j.get("priority")),
                               j.get("gres_detail")))
    return merge_het(out)


def parse_db_jobs(doc: Mapping[str, Any]) -> list[JobRecord]:
    """Records from GET /slurmdb/vX/jobs (accounting: also jobs slurmctld forgot)."""
    out = []
    for j in doc.get("jobs") or ():
        state, times = j.get("state") or {}, j.get("time") or {}
        array, het = j.get("array") or {}, j.get("het") or {}
        job_id = _het_id(het.get("job_id"), het.get("job_offset")) or _task_ids(
            j.get("job_id"), array.get("job_id"), array.get("task_id"), "")
        out.append(_record(job_id[0] if job_id else str(j.get("job_id")),
                           str(j.get("name") or ""),
                           _state(state.get("current")), str(state.get("reason") or ""),
                           times.get("submission"), times.get("start"), times.get("end"),
                           str(j.get("user") or ""), str(j.get("partition") or ""),
                           _int((j.get("required") or {}).get("CPUs")),
                           str(j.get("nodes") or ""), _db_exit(j.get("exit_code"))))
    return merge_het(out)


def _het_id(job: Any, offset: Any) -> list[str]:
    """["17+1"] for component 1 of heterogeneous job 17, as squeue names it (merge_het
    makes the components one record); [] for any other job (id 0, or no offset)."""
    het, index = _number_of(job), _number_of(offset)
    if not het or index is None or index >= 0xFFFFFFF0:   # NO_VAL: not a component
        return []
    return [f"{int(het)}+{int(index)}"]


def _task_ids(job_id: Any, array_id: Any, task: Any, pending: Any) -> list[str]:
    """The ids a record stands for: its own, one array task's, or every pending task's."""
    array, index = _number_of(array_id), _number_of(task)
    if not array:
        return [str(job_id)]
    if index is not None:
        return [f"{int(array)}_{int(index)}"]
    return [f"{int(array)}_{i}" for i in _indices(str(pending or ""))] or [str(job_id)]


def _indices(text: str) -> list[int]:
    """"0-3,7" (an optional "%N" throttle after) -> [0, 1, 2, 3, 7]."""
    out: list[int] = []
    for part in text.split("%")[0].split(","):
        lo, _, hi = part.partition("-")
        if lo.strip().isdigit():
            step = hi.split(":")
            out += range(int(lo), int(step[0] or lo) + 1 if step[0].isdigit() else int(lo) + 1,
                         int(step[1]) if len(step) > 1 and step[1].isdigit() else 1)
    return out


def _record(job_id: str, name: str, raw_state: str, reason: str, submit: Any, start: Any,
            end: Any, user: str, partition: str, cpus: int, nodes: str,
            code: int | None, priority: int | None = None,
            gres_detail: Any = None) -> JobRecord:
    # The same rules as the CLI's parser: a job cancelled while pending has no nodes and
    # no start; an unfinished job has no end yet (Slurm shows its expected end). GPU
    # indices (``gres_detail``, one string per node) are shown while the job runs only.
    state = normalize(raw_state)
    hosts = expand_hostlist(nodes)
    details = [str(d) for d in gres_detail] if isinstance(gres_detail, list) else []
    return JobRecord(job_id, name, state, raw_state, reason, _time(submit),
                     _time(start) if hosts else None,
                     _time(end) if state not in _UNFINISHED else None,
                     user, partition, cpus, hosts, code, priority,
                     gpu_indices(hosts, details) if state == "RUNNING" else ())


def _priority(value: Any) -> int | None:
    number = _number_of(value)
    return int(number) if number is not None else None


def _number_of(value: Any) -> int | float | None:
    """A number, or the number inside v0.0.40+'s {"set", "infinite", "number"}."""
    if isinstance(value, Mapping):
        if not value.get("set") or value.get("infinite"):
            return None
        value = value.get("number")
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: Any) -> int:
    number = _number_of(value)
    return int(number) if number is not None else 0


def _time(value: Any) -> float | None:
    number = _number_of(value)
    return float(number) if number else None   # 0 is Slurm's "not yet"


def _state(value: Any) -> str:
    """A state string; v0.0.40+ gives a list (the base state, then flags)."""
    if isinstance(value, list):
        return "+".join(map(str, value))
    return str(value or "")


def _queue_exit(value: Any) -> int | None:
    """v0.0.38: a wait status (code << 8 | signal); later: the accounting shape."""
    if isinstance(value, Mapping):
        return _db_exit(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return wait_status_exit(value)


def _db_exit(value: Any) -> int | None:
    """{"status", "return_code", "signal"}: the code, or 128+signal when killed."""
    if not isinstance(value, Mapping):
        return None
    signal = value.get("signal") or {}
    number = _number_of(signal.get("signal_id", signal.get("id")))
    if number:
        return 128 + int(number)
    code = _number_of(value.get("return_code"))
    return int(code) if code is not None else None


# -- the cluster -----------------------------------------------------------------------
def parse_nodes(doc: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """(name, cpus, memory MB, partitions, gpus, gpu type) of each node from
    GET /slurm/vX/nodes (``gres`` is sinfo's text, "gpu:a100:2" or "", in every version)."""
    return [(str(n["name"]), _int(n.get("cpus")), _int(n.get("real_memory")),
             tuple(n.get("partitions") or ()), *parse_gres(str(n.get("gres") or "")))
            for n in doc.get("nodes") or ()]


def parse_default_partition(doc: Mapping[str, Any]) -> str | None:
    """The default partition's name from GET /slurm/vX/partitions; the first one when
    none says so (24.11's v0.0.42 and 26.05's v0.0.44 do not show the DEFAULT flag)."""
    parts = list(doc.get("partitions") or ())
    for part in parts:
        if "default" in [str(f).lower() for f in part.get("flags") or ()]:
            return str(part["name"])
    return str(parts[0]["name"]) if parts else None


def parse_release(doc: Mapping[str, Any]) -> str | None:
    """Slurm's release ("22.05.8") from any answer's meta."""
    meta = doc.get("meta") or {}
    slurm = meta.get("Slurm") or meta.get("slurm") or {}
    release = slurm.get("release")
    return str(release) if release else None
