"""The ``workload`` section: replay, lublin, storm or mix, with transforms and payload.

``parse_workload`` validates; ``build`` makes the source and the transformed spec
stream for a cluster (it opens trace files, so it runs only when the scenario runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jobs.registry import canonical_args, kernel
from workload.backends.base import ClusterInfo
from workload.errors import InputError
from workload.scenario.schema import Key, opt
from workload.sources import LublinSource, MixSource, StormSource, TraceSource, Window
from workload.sources.base import Source
from workload.sources.dist import Dist
from workload.sources.gpus import GpuShare
from workload.sources.storm import check_storm
from workload.sources.lublin import KINDS as LUBLIN_KINDS
from workload.spec import JobSpec
from workload.sources.transforms import cap_runtime, compress, map_users, scale_procs, set_payload

KINDS = ("storm", "replay", "lublin", "mix")
COMMON = ("kind", "jobs", "seed", "transforms", "payload")
PARAMS: dict[str, dict[str, str | None]] = {
    "storm": {"rate": "number", "poisson": "flag", "size": "text", "runtime": "text",
              "time_limit_s": "number", "users": "integer", "job_gpus": "scalar",
              "gpu_share": "number"},
    "replay": {"trace": "text", "lenient": "flag", "offset": "integer", "from_s": "number",
               "to_s": "number", "closed_loop": "flag", "use_memory": "flag", "scale": "flag",
               "whole_nodes": "flag"},
    "lublin": {"model": "text", "procs": "integer", "users": "integer", "job_gpus": "scalar",
               "gpu_share": "number"},
    "mix": {"parts": None},
}
TRANSFORMS = ("speedup", "load", "max_runtime_s", "users", "user_map", "accounts", "partition")
DEFAULT_JOBS = 500


@dataclass(frozen=True)
class WorkloadDef:
    kind: str
    jobs: int | None
    seed: int
    params: dict[str, object]
    transforms: dict[str, object] = field(default_factory=dict)
    payload: tuple[str, tuple[str, ...]] = ("sleep", ())
    parts: tuple[tuple[float, "WorkloadDef"], ...] = ()

    @property
    def closed_loop(self) -> bool:
        return self.kind == "replay" and bool(self.params.get("closed_loop", True))


def parse_workload(key: Key, base: Path, *, top: bool = True) -> WorkloadDef:
    raw = key.mapping(required=("kind",))
    kind = raw["kind"].text(choices=KINDS)
    keys = key.mapping(COMMON + tuple(PARAMS[kind]))
    params = {name: _param(keys[name], read) for name, read in PARAMS[kind].items()
              if read and name in keys and keys[name].value is not None}
    if kind == "replay":
        _trace_path(keys, base, params)
    if kind == "lublin" and "model" in params and params["model"] not in LUBLIN_KINDS:
        raise keys["model"].error(f"must be one of {', '.join(LUBLIN_KINDS)}")
    if kind == "mix" and not top:
        raise key.error("a mix part cannot itself be a mix")
    parts = _parts(keys, base) if kind == "mix" else ()
    jobs, seed = opt(keys, "jobs", "integer", None, low=0), opt(keys, "seed", "integer", 0, low=0)
    _check_source(kind, jobs, seed, params, keys, key)
    return WorkloadDef(kind, jobs, seed, params,
                       _transforms(keys["transforms"]) if "transforms" in keys else {},
                       _payload(keys["payload"]) if "payload" in keys else ("sleep", ()), parts)


def _check_source(kind: str, jobs: int | None, seed: int, params: dict[str, object],
                  keys: dict[str, Key], where: Key) -> None:
    """The source's own rules, checked now (before any run) and reported at the key path
    they concern: sources name the parameter at fault in ``InputError.field``."""
    p = params
    try:
        if kind == "storm":
            check_storm(DEFAULT_JOBS if jobs is None else jobs, rate=_number(p, "rate"),
                        poisson=bool(p.get("poisson")),
                        time_limit_s=_number(p, "time_limit_s"),
                        users=_int(p, "users", 1), seed=seed)
            Dist(str(p.get("size", "1")), option="size", integer=True)
            Dist(str(p.get("runtime", "10-60")), option="runtime", integer=False)
        elif kind == "replay":
            Window(_int(p, "offset", 0), jobs, _number(p, "from_s"), _number(p, "to_s"))
        elif kind == "lublin" and _int(p, "procs", 2) < 2:
            raise InputError("the model needs a system of >= 2 processors", field="procs",
                             value=p["procs"])
        if kind in ("storm", "lublin"):
            GpuShare(_text(p.get("job_gpus")), _number(p, "gpu_share"), seed=seed)
    except InputError as err:
        at = keys.get(str(err.field)) or where
        raise at.error(err.rule) from None


def _text(value: object) -> str | None:
    """A text parameter as a string (``job_gpus: 2`` reads as the number 2)."""
    return None if value is None else str(value)


def _number(params: Mapping[str, object], name: str) -> float | None:
    """A number parameter as validated by ``_param`` (None when not given)."""
    value = params.get(name)
    if value is None or isinstance(value, (int, float)):
        return value
    raise TypeError(f"workload parameter {name!r} is {value!r}, not a number")


def _int(params: Mapping[str, object], name: str, default: int) -> int:
    """An integer parameter (or ``default``), converted as ``int()`` would."""
    value = params.get(name, default)
    if isinstance(value, (int, float, str)):
        return int(value)
    raise TypeError(f"workload parameter {name!r} is {value!r}, not an integer")


def _float(params: Mapping[str, object], name: str, default: float) -> float:
    """A number parameter (or ``default``), converted as ``float()`` would."""
    value = params.get(name, default)
    if isinstance(value, (int, float, str)):
        return float(value)
    raise TypeError(f"workload parameter {name!r} is {value!r}, not a number")


def _names(params: Mapping[str, object], name: str) -> Mapping[str, str] | None:
    """A name-to-name mapping parameter (``user_map``, ``accounts``), None when not given."""
    value = params.get(name)
    if value is None or isinstance(value, Mapping):
        return value
    raise TypeError(f"workload parameter {name!r} is {value!r}, not a mapping")


def _param(key: Key, read: str) -> object:
    table: dict[str, dict[str, float]] = {"integer": {"low": 0}, "number": {"low": 0.0}}
    rules = table.get(read, {})
    return getattr(key, read)(**rules)


def _trace_path(keys: dict[str, Key], base: Path, params: dict[str, object]) -> None:
    if "trace" not in keys:
        raise keys["kind"].error("a replay needs trace: FILE (relative to the scenario)")
    path = base / str(params["trace"])
    if not path.is_file():
        raise keys["trace"].error(f"no such file {path} (paths are relative to the scenario)")
    params["trace"] = str(path)


def _parts(keys: dict[str, Key], base: Path) -> tuple[tuple[float, WorkloadDef], ...]:
    if "parts" not in keys:
        raise keys["kind"].error("a mix needs parts: [{weight: W, workload: {...}}, ...]")
    parts = []
    for item in keys["parts"].items():
        entry = item.mapping(("weight", "workload"), required=("workload",))
        weight = opt(entry, "weight", "number", 1.0, positive=True)
        parts.append((weight, parse_workload(entry["workload"], base, top=False)))
    if not parts:
        raise keys["parts"].error("must list at least one part")
    return tuple(parts)


def _transforms(key: Key) -> dict[str, object]:
    keys = key.mapping(TRANSFORMS)
    out: dict[str, object] = {}
    for name in ("speedup", "load", "max_runtime_s"):
        if name in keys:
            out[name] = keys[name].number(positive=True)
    if "users" in keys:
        out["users"] = keys["users"].integer(low=1)
    for name in ("user_map", "accounts"):
        if name in keys:
            out[name] = {str(k.path.rsplit(".", 1)[1]): k.text()
                         for k in keys[name].mapping().values()}
    if "partition" in keys:
        out["partition"] = keys["partition"].text()
    return out


def _payload(key: Key) -> tuple[str, tuple[str, ...]]:
    args: tuple[str, ...]
    if isinstance(key.value, str):
        name, args = key.value, ()
    else:
        keys = key.mapping(("kernel", "args"), required=("kernel",))
        name = keys["kernel"].text()
        args = tuple(str(a.scalar()) for a in keys["args"].items()) if "args" in keys else ()
    try:
        kernel(name)
        return name, tuple(canonical_args(name, args))
    except ValueError as err:
        raise key.error(str(err)) from None


# -- building the job stream ----------------------------------------------------------------
class Shaped(Source):
    """A source seen through transforms (so a mix can take transformed parts)."""

    def __init__(self, inner: Source, shape: Callable[[Iterable[JobSpec]], Iterable[JobSpec]]
                 ) -> None:
        super().__init__()
        self.inner, self.shape = inner, shape
        self.skipped = inner.skipped          # one counter: skips show through
        self.max_procs = inner.max_procs
        self.name = inner.name

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(self.shape(self.inner))

    def describe(self) -> dict[str, object]:
        return self.inner.describe()


def build(wl: WorkloadDef, cluster: ClusterInfo) -> Source:
    """The workload as one source whose iteration yields the final, transformed specs."""
    partition = str(wl.transforms.get("partition", cluster.default_partition))
    target = sum(n.cpus for n in cluster.nodes if partition in n.partitions)
    if not target:
        raise InputError(f"no partition {partition!r} in the cluster (it has "
                         f"{', '.join(cluster.partitions)})",
                         field="workload.sources.transforms.partition", value=partition)
    source = _source(wl, cluster, target)
    cpn = max(n.cpus for n in cluster.nodes if partition in n.partitions)
    # A mix's parts are already scaled to the cluster: scaling the mix again would not.
    from_procs = None if wl.kind == "mix" else source.max_procs
    return Shaped(source, lambda specs: _transform(specs, wl, from_procs, target, cpn))


def _source(wl: WorkloadDef, cluster: ClusterInfo, target: int) -> Source:
    p, jobs = wl.params, wl.jobs
    if wl.kind == "storm":
        return StormSource(DEFAULT_JOBS if jobs is None else jobs, rate=_number(p, "rate"),
                           poisson=bool(p.get("poisson")), size=str(p.get("size", "1")),
                           runtime=str(p.get("runtime", "10-60")),
                           time_limit_s=_number(p, "time_limit_s"), users=_int(p, "users", 1),
                           seed=wl.seed, job_gpus=_text(p.get("job_gpus")),
                           gpu_share=_number(p, "gpu_share"))
    if wl.kind == "replay":
        return TraceSource(str(p["trace"]), strict=not p.get("lenient", False),
                           use_memory=bool(p.get("use_memory")),
                           window=Window(_int(p, "offset", 0), jobs, _number(p, "from_s"),
                                         _number(p, "to_s")))
    if wl.kind == "lublin":
        return LublinSource(DEFAULT_JOBS if jobs is None else jobs, _int(p, "procs", target),
                            kind=str(p.get("model", "mixed")), seed=wl.seed,
                            users=_int(p, "users", 32), job_gpus=_text(p.get("job_gpus")),
                            gpu_share=_number(p, "gpu_share"))
    total = DEFAULT_JOBS if jobs is None else jobs
    return MixSource([(w, build(part, cluster)) for w, part in wl.parts], total)


def _transform(specs: Iterable[JobSpec], wl: WorkloadDef, from_procs: int | None, target: int,
               cpus_per_node: int) -> Iterator[JobSpec]:
    t = wl.transforms
    speedup, load = _float(t, "speedup", 1.0), _float(t, "load", 1.0)
    specs = compress(specs, arrival=speedup * load, runtime=speedup)
    if wl.params.get("scale", True) and from_procs and from_procs != target:
        specs = scale_procs(specs, from_procs=from_procs, to_procs=target,
                            cpus_per_node=cpus_per_node,
                            whole_nodes=bool(wl.params.get("whole_nodes")))
    if "max_runtime_s" in t:
        specs = cap_runtime(specs, _float(t, "max_runtime_s", 0.0))
    if "users" in t or "user_map" in t or "accounts" in t:
        fold = t.get("users")
        specs = map_users(specs, fold=None if fold is None else _int(t, "users", 0),
                          mapping=_names(t, "user_map"), accounts=_names(t, "accounts"))
    if "partition" in t:
        specs = (s.with_(partition=t["partition"]) for s in specs)
    name, args = wl.payload
    specs = set_payload(specs, name)
    return (s.with_(payload_args=args) for s in specs) if args else specs
