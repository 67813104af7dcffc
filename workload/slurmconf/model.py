"""The Slurm configuration both backends read: slurm.conf keys, partitions, QOS, accounts.

``SlurmConfig`` is one release's defaults plus the keys someone set (a scenario's
``slurm:`` section, ``wlgen cluster up --conf-extra``), partitions with their
scheduling settings, QOS and the account tree (what sacctmgr holds on real Slurm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from workload.errors import InputError
from workload.slurmconf.defaults import (CONTAINER, DEFAULT_RELEASE, RELEASES, SCHED_DEFAULTS,
                                         slurm_defaults)
from workload.slurmconf.text import (check_value, is_repeatable, minutes_text_to_s, options,
                                     parse_lines)


@dataclass(frozen=True)
class PartitionConf:
    """A partition's scheduling settings (its nodes come from the ClusterInfo)."""

    name: str
    priority_tier: int = 1
    priority_job_factor: int = 1
    max_time_s: float = math.inf
    default_time_s: float | None = None
    max_nodes: int | None = None


@dataclass(frozen=True)
class QosConf:
    name: str
    priority: int = 0
    max_wall_s: float = math.inf
    max_jobs_pu: int | None = None
    max_submit_pu: int | None = None
    grp_cpus: int | None = None


@dataclass(frozen=True)
class AccountConf:
    """An account: its parent ("root" at the top), fair-share shares, users, default QOS."""

    name: str
    shares: int = 1
    users: tuple[str, ...] = ()
    parent: str = "root"
    qos: str | None = None


@dataclass(frozen=True)
class SlurmConfig:
    release: str = DEFAULT_RELEASE
    values: dict[str, str] = field(default_factory=dict)     # keys someone set
    lines: tuple[tuple[str, str], ...] = ()                  # NodeName=, PartitionName=...
    partitions: tuple[PartitionConf, ...] = ()
    qos: tuple[QosConf, ...] = ()
    accounts: tuple[AccountConf, ...] = ()
    base: dict[str, str] = field(default_factory=dict)       # e.g. the container's own

    def __post_init__(self) -> None:
        if self.release not in RELEASES:
            raise InputError(f"Slurm release must be one of {', '.join(RELEASES)}",
                             field="slurm_version", value=self.release)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def container(cls, release: str = DEFAULT_RELEASE, **kw: object) -> SlurmConfig:
        """What wlgen's container cluster of ``release`` runs with before any override."""
        return cls(release=release, base=dict(CONTAINER), **kw)  # type: ignore[arg-type]

    def assign(self, key: str, value: object, *, file: str | None = None,
            line: int | None = None) -> SlurmConfig:
        """A copy with ``key`` set (checked); a repeatable key adds a line."""
        text = check_value(key, value, file=file, line=line)
        if is_repeatable(key):
            return replace(self, lines=self.lines + ((key, text),))
        values = {k: v for k, v in self.values.items() if k.lower() != key.lower()}
        values[_canonical(key)] = text
        return replace(self, values=values)

    def merged(self, text: str, source: str = "conf-extra") -> SlurmConfig:
        """``text`` (slurm.conf lines) applied: SchedulerParameters and SlurmdParameters
        options merge into ours, other keys replace, repeatable keys add."""
        conf = self
        for key, value, number in parse_lines(text, source):
            if key.lower() in _MERGED and self.get(key):
                value = join_options({**options(conf.get(key)), **options(value)})
            conf = conf.assign(key, value, file=source, line=number)
        return conf

    # -- reading ------------------------------------------------------------------------
    def get(self, key: str) -> str:
        """The value in force: set, else the base (container), else Slurm's default."""
        for table in (self.values, self.base, slurm_defaults(self.release)):
            for k, v in table.items():
                if k.lower() == key.lower():
                    return v
        return ""

    def explicit(self) -> dict[str, str]:
        """Keys set on top of the release's defaults (base and overrides)."""
        return {**self.base, **self.values}

    def number(self, key: str) -> float:
        text = self.get(key)
        try:
            return float(text or 0)
        except ValueError:
            raise InputError("must be a number", field=key, value=text) from None

    def time_s(self, key: str) -> float:
        return minutes_text_to_s(self.get(key) or "0", field=key)

    def sched(self, name: str) -> float:
        """A SchedulerParameters option as a number (its default when not given)."""
        given = options(self.get("SchedulerParameters"))
        if name not in given:
            return float(SCHED_DEFAULTS.get(name, 0))
        try:
            return float(given[name] or 1)
        except ValueError:
            raise InputError("must be a number", field=f"SchedulerParameters {name}",
                             value=given[name]) from None

    def sched_options(self) -> dict[str, str]:
        return options(self.get("SchedulerParameters"))

    def flags(self, key: str = "PriorityFlags") -> set[str]:
        return {f.strip().upper() for f in self.get(key).split(",") if f.strip()}

    def tres_weights(self) -> dict[str, float]:
        """PriorityWeightTRES=CPU=1000,Mem=2000 as {"cpu": 1000.0, "mem": 2000.0}."""
        out = {}
        for name, value in options(self.get("PriorityWeightTRES")).items():
            out[name.lower()] = float(value or 0)
        return out

    def conf_lines(self) -> list[str]:
        """The set keys as slurm.conf lines (what a container cluster's conf gets)."""
        return [f"{k}={v}" for k, v in self.values.items()] + \
            [f"{k}={v}" for k, v in self.lines]


_MERGED = ("schedulerparameters", "slurmdparameters")
_KNOWN = {k.lower(): k for k in (*slurm_defaults(DEFAULT_RELEASE), *CONTAINER, "PriorityType",
                                  "SelectTypeParameters", "DefMemPerCPU")}


def _canonical(key: str) -> str:
    return _KNOWN.get(key.lower(), key)


def join_options(opts: dict[str, str]) -> str:
    return ",".join(k + ("=" + v if v else "") for k, v in opts.items())
