"""Transforms on a stream of JobSpecs: each takes an iterator and returns one, lazily."""

from __future__ import annotations

import math
from dataclasses import replace
from collections.abc import Iterable, Iterator, Mapping

from workload.errors import InputError
from workload.spec import JobSpec


def compress(specs: Iterable[JobSpec], *, arrival: float = 1.0,
             runtime: float = 1.0) -> Iterator[JobSpec]:
    """Divide inter-arrival times by ``arrival`` and run times and limits by ``runtime``.

    Both at once (``--speedup``) keeps the offered load; ``arrival`` alone (``--load``)
    scales it.
    """
    if arrival <= 0 or runtime <= 0:
        raise InputError(f"compression factors must be > 0 (arrival {arrival:g}, "
                         f"runtime {runtime:g})")
    if arrival == runtime == 1.0:
        yield from specs
        return
    for spec in specs:
        yield spec.with_(submit_s=spec.submit_s / arrival, runtime_s=spec.runtime_s / runtime,
                         time_limit_s=spec.time_limit_s / runtime,
                         think_s=spec.think_s / arrival,
                         cancel_after_s=None if spec.cancel_after_s is None
                         else spec.cancel_after_s / runtime)


def scale_procs(specs: Iterable[JobSpec], *, from_procs: int, to_procs: int,
                cpus_per_node: int, whole_nodes: bool = False) -> Iterator[JobSpec]:
    """Resize jobs from a system of ``from_procs`` processors to one of ``to_procs``.

    A job of p processors gets round(p * to/from) tasks (at least 1, at most the whole
    cluster), submitted as ``sbatch -n TASKS``. With ``whole_nodes`` it also pins
    ``-N ceil(tasks / cpus_per_node)`` so each job gets as few nodes as it can use.
    """
    if from_procs <= 0 or to_procs <= 0 or cpus_per_node <= 0:
        raise InputError("resource scaling needs positive processor counts")
    factor = to_procs / from_procs
    for spec in specs:
        procs = min(to_procs, max(1, round(spec.procs * factor)))
        nodes = math.ceil(procs / cpus_per_node) if whole_nodes else None
        if procs != spec.procs or nodes != spec.nodes:
            spec = spec.with_(procs=procs, nodes=nodes)
        if spec.components:   # a heterogeneous job's other components, each the same way
            spec = spec.with_(components=tuple(
                replace(c, procs=(p := min(to_procs, max(1, round(c.procs * factor)))),
                        nodes=math.ceil(p / cpus_per_node) if whole_nodes else None)
                for c in spec.components))
        yield spec


def cap_runtime(specs: Iterable[JobSpec], max_s: float) -> Iterator[JobSpec]:
    """No job runs or asks for longer than ``max_s`` seconds."""
    if max_s <= 0:
        raise InputError(f"--max-runtime must be > 0, got {max_s:g}")
    for spec in specs:
        if spec.runtime_s > max_s or spec.time_limit_s > max_s:
            spec = spec.with_(runtime_s=min(spec.runtime_s, max_s),
                              time_limit_s=min(spec.time_limit_s, max_s),
                              cancel_after_s=None if spec.cancel_after_s is None
                              else min(spec.cancel_after_s, max_s))
        yield spec


def map_users(specs: Iterable[JobSpec], *, fold: int | None = None,
              mapping: Mapping[str, str] | None = None,
              accounts: Mapping[str, str] | None = None) -> Iterator[JobSpec]:
    """Rename users: an explicit ``mapping`` first, then fold onto ``fold`` users.

    ``accounts`` maps a (final) user name to a Slurm account.
    """
    if fold is not None and fold < 1:
        raise InputError(f"--users must be >= 1, got {fold}")
    for spec in specs:
        user = (mapping or {}).get(spec.user, spec.user)
        if fold is not None and user.startswith("u") and user[1:].isdigit():
            user = f"u{int(user[1:]) % fold + 1}"
        account = (accounts or {}).get(user, spec.account)
        if user != spec.user or account != spec.account:
            spec = spec.with_(user=user, account=account)
        yield spec


def load_user_map(path: str) -> tuple[dict[str, str], dict[str, str]]:
    """Read ``{users: {trace user: name}, accounts: {name: account}}`` from YAML."""
    from workload.safeyaml import read_yaml

    data = read_yaml(path, what="user map") or {}
    if not isinstance(data, dict) or set(data) - {"users", "accounts"}:
        raise InputError("must be a mapping with keys 'users' and/or 'accounts'", file=path)
    maps = []
    for key in ("users", "accounts"):
        section = data.get(key) or {}
        if not isinstance(section, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in section.items()):
            raise InputError("must map names to names (strings)", file=path, field=key,
                             value=section)
        maps.append(section)
    return maps[0], maps[1]


def set_payload(specs: Iterable[JobSpec], payload: str) -> Iterator[JobSpec]:
    """Every job runs ``payload`` (``sleep`` for pure scheduler runs)."""
    for spec in specs:
        yield spec if spec.payload == payload else spec.with_(payload=payload)
