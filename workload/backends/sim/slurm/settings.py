"""The simulator's reading of a SlurmConfig: every modelled setting as a number.

``ignored`` names what the simulator does not model, so a run can say so (stderr and
settings.json ``sim_ignored``) instead of silently scheduling without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workload.slurmconf import SlurmConfig
from workload.slurmconf.defaults import TIME_CHECK_S as TIME_CHECK_S  # the engine's

#: slurm.conf keys the simulator reads (the rest are named by ``ignored``).
MODELLED = {k.lower() for k in (
    # PriorityWeightAssoc is left out: associations have no Priority here, so it is named.
    "PriorityType", "PriorityWeightAge", "PriorityWeightFairshare",
    "PriorityWeightJobSize", "PriorityWeightPartition", "PriorityWeightQOS",
    "PriorityWeightTRES", "PriorityMaxAge", "PriorityFavorSmall", "PriorityFlags",
    "PriorityDecayHalfLife", "PriorityCalcPeriod", "FairShareDampeningFactor",
    "SchedulerType", "SchedulerParameters", "OverTimeLimit", "JobRequeue",
    "AccountingStorageEnforce", "EnforcePartLimits",
    # Per-CPU allocation with memory per CPU is what the simulator does.
    "SelectType", "SelectTypeParameters", "DefMemPerCPU")}
SCHED_MODELLED = {"bf_interval", "bf_resolution", "bf_window", "bf_max_job_test",
                  "bf_max_job_user", "bf_continue", "default_queue_depth", "sched_interval",
                  "batch_sched_delay"}
FLAGS_MODELLED = {"SMALL_RELATIVE_TO_TIME", "NO_NORMAL_ALL", "NO_NORMAL_ASSOC",
                  "NO_NORMAL_PART", "NO_NORMAL_QOS", "NO_NORMAL_TRES", "ACCRUE_ALWAYS",
                  "NO_FAIR_TREE", "FAIR_TREE"}
#: A job requeued after a node failure is held this long (BeginTime), as measured on 22.05.
REQUEUE_HOLD_S = 120.0


@dataclass(frozen=True)
class SimSettings:
    multifactor: bool
    w_age: float
    w_assoc: float
    w_fs: float
    w_js: float
    w_part: float
    w_qos: float
    w_tres: dict[str, float]
    max_age_s: float
    favor_small: bool
    flags: frozenset[str]
    damping: float
    half_life_s: float
    calc_period_s: float
    backfill: bool
    bf_interval_s: float
    bf_resolution_s: float
    bf_window_s: float
    bf_max_job_test: int
    bf_max_job_user: int
    queue_depth: int
    sched_interval_s: float
    batch_delay_s: float
    overtime_s: float
    requeue: bool
    enforce_limits: bool
    #: EnforcePartLimits ALL/ANY (YES): a job over its partition's MaxTime or MaxNodes is
    #: refused at submit; NO (the default): it pends for ever (wlgen then cancels it).
    enforce_part_limits: bool
    #: 22.05 runs schedule() at once when a job's epilog completes (proc_req.c, unless
    #: "defer"); later releases queue it for the background loop's next wake-up, as
    #: for a submit (measured: starts 0 s vs ~1 s after the freeing end).
    end_schedules_now: bool = False

    def normal(self, what: str) -> bool:
        """True unless PriorityFlags turns this factor's normalisation off."""
        return not ({"NO_NORMAL_ALL", f"NO_NORMAL_{what}"} & self.flags)

    @property
    def fair_tree(self) -> bool:
        return "NO_FAIR_TREE" not in self.flags

    @property
    def time_dependent(self) -> bool:
        """Priorities change while nothing happens (age grows, usage decays)."""
        return self.multifactor and bool(self.w_age or self.w_fs)


def read(conf: SlurmConfig) -> SimSettings:
    overtime = conf.get("OverTimeLimit").strip().upper()
    enforce = {f.strip().lower() for f in conf.get("AccountingStorageEnforce").split(",")}
    return SimSettings(
        multifactor=conf.get("PriorityType") == "priority/multifactor",
        w_age=conf.number("PriorityWeightAge"), w_assoc=conf.number("PriorityWeightAssoc"),
        w_fs=conf.number("PriorityWeightFairshare"), w_js=conf.number("PriorityWeightJobSize"),
        w_part=conf.number("PriorityWeightPartition"), w_qos=conf.number("PriorityWeightQOS"),
        w_tres=conf.tres_weights(),
        max_age_s=conf.time_s("PriorityMaxAge"),
        favor_small=conf.get("PriorityFavorSmall").upper() in ("YES", "1", "TRUE"),
        flags=frozenset(conf.flags()),
        damping=max(1.0, conf.number("FairShareDampeningFactor")),
        half_life_s=conf.time_s("PriorityDecayHalfLife"),
        calc_period_s=max(60.0, conf.time_s("PriorityCalcPeriod")),
        backfill=conf.get("SchedulerType") == "sched/backfill",
        bf_interval_s=max(1.0, conf.sched("bf_interval")),
        bf_resolution_s=max(1.0, conf.sched("bf_resolution")),
        bf_window_s=conf.sched("bf_window") * 60,
        bf_max_job_test=int(conf.sched("bf_max_job_test")),
        bf_max_job_user=int(conf.sched("bf_max_job_user")),
        queue_depth=int(conf.sched("default_queue_depth")),
        sched_interval_s=max(1.0, conf.sched("sched_interval")),
        batch_delay_s=conf.sched("batch_sched_delay"),
        overtime_s=math.inf if overtime in ("UNLIMITED", "INFINITE") else float(overtime or 0) * 60,
        requeue=conf.get("JobRequeue").strip() == "1",
        enforce_limits=bool(enforce & {"limits", "qos", "safe"}),
        enforce_part_limits=conf.get("EnforcePartLimits").strip().upper() in ("ALL", "ANY", "YES"),
        end_schedules_now=conf.release == "22.05" and "defer" not in conf.sched_options())


def ignored(conf: SlurmConfig) -> list[str]:
    """Settings in ``conf`` the simulator does not model, each named once."""
    out = [k for k in conf.explicit() if k.lower() not in MODELLED]
    out += [f"SchedulerParameters {o}" for o in conf.sched_options() if o not in SCHED_MODELLED]
    out += [f"PriorityFlags {f}" for f in sorted(conf.flags() - FLAGS_MODELLED)]
    out += [f"{k} line ({v.split()[0] if v.split() else ''})" for k, v in conf.lines]
    return out
