"""A run as the comparison sees it: its metrics and each job's times, by seq.

Times are offsets from the run's own epoch (settings.json), so runs made at different
moments, or on the simulator and on real Slurm, line up job by job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workload.checks.observed import load_observed
from workload.rundir import SETTINGS, read_json


@dataclass(frozen=True)
class JobTimes:
    submit: float
    start: float | None
    end: float
    state: str
    user: str
    procs: int


@dataclass(frozen=True)
class RunView:
    name: str
    path: Path
    metrics: dict[str, object]
    jobs: dict[int, JobTimes]


def load_run(path: str | Path, name: str | None = None) -> RunView:
    path = Path(path)
    observed = load_observed(path)      # InputError when it is not a run directory
    epoch = _epoch(path, observed.jobs)
    jobs = {j.seq: JobTimes(j.submit - epoch, None if j.start is None else j.start - epoch,
                            j.end - epoch, j.state, j.user, j.procs) for j in observed.jobs}
    return RunView(name or path.name, path, dict(observed.metrics), jobs)


def _epoch(path: Path, jobs) -> float:
    settings = read_json(path / SETTINGS) if (path / SETTINGS).exists() else {}
    if "epoch" in settings:
        return float(settings["epoch"])
    return min((j.submit for j in jobs), default=0.0)
