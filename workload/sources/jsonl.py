"""wlgen's own job format: JSON lines that keep every JobSpec field.

The first line is a header ``{"format": "wlgen-jobs", "version": 1, ...}`` (what the
jobs came from, and what was skipped on the way); each further line is one job, every
JobSpec field by name. ``wlgen convert`` writes it; ``wlgen replay`` reads it back into
the same specs (tuples come back as tuples).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from workload.errors import InputError
from workload.sources.base import Source
from workload.spec import Component, JobSpec
from workload.swf import Header

FORMAT, VERSION = "wlgen-jobs", 1
REQUIRED = ("seq", "submit_s", "procs", "runtime_s", "time_limit_s")
_FIELDS = {f.name for f in fields(JobSpec)}
_INT = {"seq", "procs", "nodes", "mem_per_cpu_mb", "source_id", "executable", "preceding",
        "gpus", "exit_code", "array_job", "array_task", "array_throttle"}
_FLOAT = {"submit_s", "runtime_s", "time_limit_s", "think_s", "cancel_after_s"}
_BOOL = {"gpus_per_node"}
_TEXT = {"user", "group", "account", "partition", "payload", "name", "qos", "gpu_type",
         "final_state"}


def spec_to_dict(spec: JobSpec) -> dict[str, Any]:
    return asdict(spec)


def write_jsonl(path: str | Path, specs: Iterable[JobSpec],
                header: dict[str, Any] | None = None) -> int:
    """Write the header line and one line a job; returns the number of jobs."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(json.dumps({"format": FORMAT, "version": VERSION, **(header or {})}) + "\n")
        for spec in specs:
            out.write(json.dumps(spec_to_dict(spec), separators=(",", ":")) + "\n")
            count += 1
    return count


def spec_from_dict(data: dict[str, Any], path: str, line: int) -> JobSpec:
    """One job line as a spec; a missing, unknown or mistyped field is an InputError."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise InputError("unknown JobSpec field", file=path, line=line, field=unknown[0])
    for name in REQUIRED:
        if data.get(name) is None:
            raise InputError("required", file=path, line=line, field=name)
    values = {name: _value(name, value, path, line) for name, value in data.items()}
    return JobSpec(**values)


def _value(name: str, value: Any, path: str, line: int) -> Any:
    def bad(rule: str) -> InputError:
        return InputError(rule, file=path, line=line, field=name, value=value)
    if value is None:
        return None
    if name in _INT:
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("must be a whole number")
        return value
    if name in _FLOAT:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise bad("must be a number >= 0")
        return float(value)
    if name in _BOOL:
        if not isinstance(value, bool):
            raise bad("must be true or false")
        return value
    if name in _TEXT:
        if not isinstance(value, str):
            raise bad("must be a string")
        return value
    if name == "payload_args":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("must be a list of strings")
        return tuple(value)
    if name == "depends":
        return _depends(value, bad)
    if name == "depends_any":
        if not isinstance(value, bool):
            raise bad("must be true or false")
        return value
    if name == "components":
        return _components(value, bad)
    raise bad("unknown field")


_COMPONENT = {f.name for f in fields(Component)}


def _components(value: Any, bad) -> tuple[Component, ...]:
    """A heterogeneous job's further components: objects of Component's fields, procs
    a whole number >= 1, the rest as the job's own fields of those names."""
    rule = f"must be a list of objects with procs and any of {', '.join(sorted(_COMPONENT))}"
    if not isinstance(value, list):
        raise bad(rule)
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) - _COMPONENT or "procs" not in item:
            raise bad(rule)
        for key, got in item.items():
            if key in ("partition", "gpu_type"):
                ok = got is None or isinstance(got, str)
            else:
                ok = (got is None and key not in ("procs", "gpus")) or (
                    isinstance(got, int) and not isinstance(got, bool) and got >= 0)
            if not ok or (key == "procs" and got < 1):
                raise bad(f"{rule}; {key}={got!r} breaks it")
        out.append(Component(**item))
    return tuple(out)


def _depends(value: Any, bad) -> tuple[tuple[str, tuple[int, ...]], ...]:
    if not isinstance(value, list):
        raise bad("must be a list of [kind, [job ids]]")
    out = []
    for item in value:
        if (not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str)
                or not isinstance(item[1], list)
                or not all(isinstance(i, int) for i in item[1])):
            raise bad("must be a list of [kind, [job ids]]")
        out.append((item[0], tuple(item[1])))
    return tuple(out)


class JsonlSource(Source):
    """Replay a wlgen-jobs file. Strict: the first bad line stops it (file, line, field);
    lenient: bad lines are counted by field."""

    name = "jsonl"

    def __init__(self, path: str | Path, *, strict: bool = True) -> None:
        super().__init__()
        self.path, self.strict = str(path), strict
        self.meta = self._header()        # the file's first line
        self.max_procs = self.meta.get("max_procs")
        self.rows = 0
        self.header = Header([("Note", f"jobs from wlgen-jobs file {self.path}")])

    def replica(self) -> "JsonlSource":
        return JsonlSource(self.path, strict=self.strict)

    def _header(self) -> dict[str, Any]:
        with open(self.path, encoding="utf-8") as handle:
            first = handle.readline()
        try:
            head = json.loads(first)
        except json.JSONDecodeError:
            head = None
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            raise InputError(f'first line must be {{"format": "{FORMAT}", ...}}',
                             file=self.path, line=1, field="format")
        if head.get("version") != VERSION:
            raise InputError(f"version {head.get('version')!r}: this wlgen reads {VERSION}",
                             file=self.path, line=1, field="version")
        return head

    def __iter__(self) -> Iterator[JobSpec]:
        last = float("-inf")
        with open(self.path, encoding="utf-8") as handle:
            handle.readline()
            for number, text in enumerate(handle, start=2):
                if not text.strip():
                    continue
                self.rows += 1
                try:
                    spec = self._parse(text, number)
                    if spec.submit_s < last:
                        raise InputError("jobs must be in submit order", file=self.path,
                                         line=number, field="submit_s", value=spec.submit_s)
                except InputError as err:
                    if self.strict:
                        raise
                    self.skipped[f"malformed {err.field}"] += 1
                    continue
                last = spec.submit_s
                yield spec

    def _parse(self, text: str, number: int) -> JobSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"not JSON: {err.msg}", file=self.path, line=number,
                             field="line") from None
        if not isinstance(data, dict):
            raise InputError("must be a JSON object", file=self.path, line=number,
                             field="line")
        return spec_from_dict(data, self.path, number)

    def user_names(self) -> list[str]:
        return sorted({spec.user for spec in JsonlSource(self.path, strict=False)})

    def describe(self) -> dict[str, object]:
        return {"source": self.name, "file": self.path, "strict": self.strict,
                "max_procs": self.max_procs, "from": self.meta.get("source"),
                "anonymized": self.meta.get("anonymized")}
