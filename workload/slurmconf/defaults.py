"""Slurm's own defaults per release, and the settings wlgen's container cluster adds.

From slurm.conf(5) of each release (doc/man/man5/slurm.conf.5) and the source where
the page is silent: PriorityType became priority/multifactor by default in 23.11;
bf_max_job_test is 500 in backfill.c (the sched_config page still says 100).
"""

from __future__ import annotations

RELEASES = ("22.05", "24.11", "26.05")
DEFAULT_RELEASE = "22.05"

_COMMON = {
    "SchedulerType": "sched/backfill",
    "SchedulerParameters": "",
    "PriorityWeightAge": "0", "PriorityWeightAssoc": "0", "PriorityWeightFairshare": "0",
    "PriorityWeightJobSize": "0", "PriorityWeightPartition": "0", "PriorityWeightQOS": "0",
    "PriorityWeightTRES": "",
    "PriorityMaxAge": "7-0", "PriorityDecayHalfLife": "7-0", "PriorityCalcPeriod": "5",
    "PriorityFavorSmall": "NO", "PriorityFlags": "", "FairShareDampeningFactor": "1",
    "PriorityUsageResetPeriod": "NONE",
    "OverTimeLimit": "0", "JobRequeue": "1", "AccountingStorageEnforce": "",
    "SelectType": "select/cons_tres", "EnforcePartLimits": "NO",
}

#: Seconds between slurmctld's checks of running jobs against their time limits (built
#: into slurmctld, no slurm.conf key sets it): a job runs past its limit by up to this.
TIME_CHECK_S = 30.0

#: SchedulerParameters options and their defaults (seconds or minutes as Slurm reads them).
SCHED_DEFAULTS = {
    "bf_interval": 30,          # s
    "bf_resolution": 60,        # s
    "bf_window": 1440,          # min
    "bf_max_job_test": 500,
    "bf_max_job_user": 0,       # 0: no limit
    "default_queue_depth": 100,
    "sched_interval": 60,       # s
    "batch_sched_delay": 3,     # s
}

_BY_RELEASE = {
    "22.05": {"PriorityType": "priority/basic"},
    "24.11": {"PriorityType": "priority/multifactor"},
    "26.05": {"PriorityType": "priority/multifactor"},
}

#: What wlgen's container cluster sets (workload/cluster/config.py renders these).
CONTAINER = {
    "SelectType": "select/cons_tres",
    "SelectTypeParameters": "CR_CPU_Memory",
    "SchedulerType": "sched/backfill",
    # Start jobs right after submit (~0.5 s instead of ~2.5 s).
    "SchedulerParameters": "batch_sched_delay=0,bf_interval=5",
    "PriorityType": "priority/multifactor",
    "PriorityWeightFairshare": "10000",
    "PriorityWeightAge": "1000",
}


def slurm_defaults(release: str) -> dict[str, str]:
    """Slurm's defaults for ``release`` (one of RELEASES)."""
    if release not in _BY_RELEASE:
        raise ValueError(f"Slurm release must be one of {', '.join(RELEASES)}, not {release!r}")
    return {**_COMMON, **_BY_RELEASE[release]}
