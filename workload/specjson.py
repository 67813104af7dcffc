"""A job spec as one JSON object: the line format of a run's requests.jsonl.

Every field by name, so a line reads back into the same JobSpec; the fields only an
accounting source fills are written when they differ from their defaults.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import fields
from operator import attrgetter
from typing import Any

from workload.spec import Component, JobSpec


def spec_line(s: JobSpec) -> str:
    """One requests.jsonl line: a job spec as JSON, every field by name (the fields
    only an accounting source fills, when they differ from their defaults).

    Formatted by hand (like Event.to_json), None tests inline: a run writes one a job,
    ``json.dumps(asdict(spec))`` took 100 us and a helper call per field 6 us."""
    if not math.isfinite(s.submit_s + s.runtime_s + s.time_limit_s + s.think_s):
        return _spec_line_checked(s)
    a, p, nodes, mem = s.account, s.partition, s.nodes, s.mem_per_cpu_mb
    sid, exe, pre = s.source_id, s.executable, s.preceding
    return (f'{{"seq":{s.seq},"submit_s":{s.submit_s!r},"procs":{s.procs},'
            f'"runtime_s":{s.runtime_s!r},"time_limit_s":{s.time_limit_s!r},'
            f'"nodes":{"null" if nodes is None else nodes},'
            f'"mem_per_cpu_mb":{"null" if mem is None else mem},'
            f'"user":{_s(s.user)},"group":{_s(s.group)},'
            f'"account":{"null" if a is None else _s(a)},'
            f'"partition":{"null" if p is None else _s(p)},'
            f'"source_id":{"null" if sid is None else sid},'
            f'"executable":{"null" if exe is None else exe},'
            f'"preceding":{"null" if pre is None else pre},"think_s":{s.think_s!r},'
            f'"payload":{_s(s.payload)},"payload_args":{_args(s)}{_rest(s)}}}\n')


def _spec_line_checked(s: JobSpec) -> str:
    """spec_line for a spec with a non-finite time: JSON has no NaN, so those are null."""
    return (f'{{"seq":{s.seq},"submit_s":{_v(s.submit_s)},"procs":{s.procs},'
            f'"runtime_s":{_v(s.runtime_s)},"time_limit_s":{_v(s.time_limit_s)},'
            f'"nodes":{_v(s.nodes)},"mem_per_cpu_mb":{_v(s.mem_per_cpu_mb)},'
            f'"user":{_s(s.user)},"group":{_s(s.group)},"account":{_v(s.account)},'
            f'"partition":{_v(s.partition)},"source_id":{_v(s.source_id)},'
            f'"executable":{_v(s.executable)},"preceding":{_v(s.preceding)},'
            f'"think_s":{_v(s.think_s)},"payload":{_s(s.payload)},"payload_args":{_args(s)}'
            f'{_rest(s)}}}\n')


def _args(s: JobSpec) -> str:
    return json.dumps(list(s.payload_args)) if s.payload_args else "[]"


def _rest(s: JobSpec) -> str:
    extra = _rest_of(s)
    if extra == _REST_DEFAULTS:
        return ""
    return "".join(f',"{name}":{json.dumps(_plain(name, value))}' for name, value, default
                   in zip(_REST_NAMES, extra, _REST_DEFAULTS) if value != default)


def _plain(name: str, value: Any) -> Any:
    """A field as JSON holds it: a heterogeneous job's components as objects."""
    return [component_dict(c) for c in value] if name == "components" else value


def component_dict(component: Component) -> dict[str, Any]:
    """One component of a heterogeneous job, every field by name."""
    return {f.name: getattr(component, f.name) for f in fields(Component)}


_ALWAYS = ("seq", "submit_s", "procs", "runtime_s", "time_limit_s", "nodes", "mem_per_cpu_mb",
           "user", "group", "account", "partition", "source_id", "executable", "preceding",
           "think_s", "payload", "payload_args")
_REST_NAMES = tuple(f.name for f in fields(JobSpec) if f.name not in _ALWAYS)
_REST_DEFAULTS = tuple(f.default for f in fields(JobSpec) if f.name not in _ALWAYS)
_rest_of = attrgetter(*_REST_NAMES)   # one C call: most specs leave every one at its default
_TUPLES = tuple(f.name for f in fields(JobSpec)
                if isinstance(f.default, tuple) and f.name != "components")
_s = json.encoder.encode_basestring_ascii


def _v(value: object) -> str:
    """A JSON scalar; non-finite floats become null (JSON has no NaN)."""
    if value is None:
        return "null"
    if value.__class__ is str:
        return _s(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "null"
    return repr(value)


def spec_from_dict(data: Mapping[str, Any]) -> JobSpec:
    known = {k: v for k, v in data.items() if k in JobSpec.__dataclass_fields__}
    for name in _TUPLES:    # JSON has lists; specs hold (nested) tuples
        if name in known:
            known[name] = _tuples(known[name] or ())
    if "components" in known:
        known["components"] = tuple(Component(**c) for c in known["components"] or ())
    return JobSpec(**known)


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value
