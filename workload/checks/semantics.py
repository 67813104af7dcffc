"""The scheduling semantics a schedule was made by, so checks judge it by them.

Textbook runs (the simulator's fcfs/easy) order jobs by submit time and kill at the
exact limit. Slurm (the simulator's Slurm mode, or real Slurm) orders by priority,
plans backfill reservations on the ``bf_resolution`` grid every ``bf_interval``, rounds
time limits up to whole minutes and kills at the first time-limit check (every 30 s)
after limit + OverTimeLimit. settings.json ``scheduler`` (workload.rundir
``scheduler_settings``) records which; for older run directories it is rebuilt from
their backend, policy and scenario keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workload.event import START, Event
from workload.rundir import scheduler_settings
from workload.slurmconf import SlurmConfig
from workload.slurmconf.defaults import DEFAULT_RELEASE, SCHED_DEFAULTS, TIME_CHECK_S


@dataclass(frozen=True)
class Semantics:
    slurm: bool = False                 # False: textbook
    bf_interval_s: float = 0.0
    bf_resolution_s: float = 0.0
    over_time_limit_s: float | None = 0.0   # None: UNLIMITED
    time_check_s: float = 0.0
    multifactor: bool = False           # else FIFO priority (priority/basic): submit order
    w_age: float = 0.0
    max_age_s: float = 7 * 86400.0
    w_fairshare: float = 0.0
    w_static: float = 0.0               # job size, partition, QOS, assoc, TRES weights

    def limit_s(self, requested_s: float) -> float:
        """The limit a job is held to: Slurm rounds up to whole minutes (--time)."""
        return math.ceil(requested_s / 60 - 1e-9) * 60 if self.slurm else requested_s

    def kill_by_s(self, requested_s: float) -> float:
        """The latest a job may run: Slurm kills at the first check after its limit
        plus OverTimeLimit; textbook at the limit."""
        if not self.slurm:
            return requested_s
        if self.over_time_limit_s is None:
            return math.inf
        return self.limit_s(requested_s) + self.over_time_limit_s + self.time_check_s


TEXTBOOK = Semantics()


def semantics_of(settings: Mapping[str, Any]) -> Semantics:
    rec = settings.get("scheduler")
    if not isinstance(rec, Mapping):
        rec = _older(settings)
    if rec.get("semantics") != "slurm":
        return TEXTBOOK
    over = rec.get("over_time_limit_s", 0.0)
    weights = {k: float(v) for k, v in (rec.get("priority_weights") or {}).items()}
    return Semantics(True, float(rec.get("bf_interval_s", SCHED_DEFAULTS["bf_interval"])),
                     float(rec.get("bf_resolution_s", SCHED_DEFAULTS["bf_resolution"])),
                     None if over is None else float(over),
                     float(rec.get("time_check_s", TIME_CHECK_S)),
                     multifactor=rec.get("PriorityType") == "priority/multifactor",
                     w_age=weights.get("age", 0.0),
                     max_age_s=float(rec.get("PriorityMaxAge_s") or 7 * 86400.0),
                     w_fairshare=weights.get("fairshare", 0.0),
                     w_static=sum(v for k, v in weights.items()
                                  if k not in ("age", "fairshare")))


def _older(settings: Mapping[str, Any]) -> Mapping[str, Any]:
    """A run directory written before settings.json had ``scheduler``: rebuilt from its
    backend, policy and scenario keys as the run built its scheduler (the container
    cluster's settings of its release, the scenario's keys on top)."""
    scenario = settings.get("scenario") or {}
    overrides = (scenario.get("slurm") or {}).get("overrides") or {}
    if settings.get("backend", "sim") == "sim" and not overrides and \
            settings.get("policy") != "slurm":
        return scheduler_settings(None, str(settings.get("policy") or "easy"))
    release = (settings.get("cluster") or {}).get("slurm_version") or DEFAULT_RELEASE
    conf = SlurmConfig.container(".".join(str(release).split(".")[:2]))  # "22.05.8" too
    for key, value in overrides.items():
        conf = conf.assign(key, value)
    return scheduler_settings(conf)


def start_priorities(events: list[Event]) -> dict[int, int]:
    """seq -> the priority the scheduler gave the job when it started (last attempt)."""
    return {e.seq: e.priority for e in events if e.kind == START and e.priority is not None}
