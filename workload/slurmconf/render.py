"""Partitions and QOS of a SlurmConfig as Slurm reads them: slurm.conf's PartitionName
lines and sacctmgr's ``set`` words. Pure, so the container cluster gets exactly what the
simulator schedules with (workload/backends/sim/slurm/ reads the same PartitionConf and
QosConf).

Times: Slurm keeps MaxTime and MaxWall in whole minutes and a job's limit in whole
minutes too (sbatch --time rounds up). The simulator refuses a job when its limit (whole
minutes) exceeds the seconds given; a limit of L whole minutes exceeds W seconds exactly
when it exceeds floor(W / 60) minutes, so the limits are rendered rounded down. A
DefaultTime becomes a job's limit, which the simulator rounds up: rendered rounded up.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from workload.slurmconf.model import PartitionConf, QosConf


def partition_line(conf: PartitionConf, nodes: str, *, default: bool) -> str:
    """``PartitionName=NAME Nodes=NODES ...`` with every setting the simulator honours."""
    words = [f"PartitionName={conf.name}", f"Nodes={nodes}",
             f"Default={'YES' if default else 'NO'}",
             f"PriorityTier={conf.priority_tier}",
             f"PriorityJobFactor={conf.priority_job_factor}",
             f"MaxTime={_minutes(conf.max_time_s, math.floor)}"]
    if conf.default_time_s is not None:
        words.append(f"DefaultTime={_minutes(conf.default_time_s, math.ceil)}")
    if conf.max_nodes is not None:
        words.append(f"MaxNodes={conf.max_nodes}")
    words.append("State=UP")
    return " ".join(words)


def qos_words(conf: QosConf) -> list[str]:
    """sacctmgr's ``set`` words for one QOS (``sacctmgr add qos NAME WORDS...``): the
    long names sacctmgr's man page gives (its ``add qos`` refuses the column names
    MaxJobsPU/MaxSubmitPU that ``show qos format=`` prints)."""
    words = [f"Priority={int(conf.priority)}"]
    if math.isfinite(conf.max_wall_s) and conf.max_wall_s:
        words.append(f"MaxWall={_minutes(conf.max_wall_s, math.floor)}")
    if conf.max_jobs_pu is not None:
        words.append(f"MaxJobsPerUser={conf.max_jobs_pu}")
    if conf.max_submit_pu is not None:
        words.append(f"MaxSubmitJobsPerUser={conf.max_submit_pu}")
    if conf.grp_cpus is not None:
        words.append(f"GrpTRES=cpu={conf.grp_cpus}")
    return words


def node_range(first: int, count: int) -> str:
    """Slurm's hostlist of nodes n<first>..n<first+count-1>: ``n3``, ``n[1-8]``."""
    if count == 1:
        return f"n{first}"
    return f"n[{first}-{first + count - 1}]"


def _minutes(seconds: float, rounding: Callable[[float], int]) -> str:
    """Whole minutes (``INFINITE`` for no limit); 1e-9 keeps 120.0000001 s at 2."""
    if not math.isfinite(seconds):
        return "INFINITE"
    nudge = -1e-9 if rounding is math.ceil else 1e-9
    return str(int(rounding(seconds / 60 + nudge)))
