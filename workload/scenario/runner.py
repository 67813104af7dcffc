"""Run a scenario: build its workload, run it, run its checks.

The run writes its directory like any other (workload.rundir); a scenario run adds
``checks.json`` (each check's verdict), ``faults.jsonl`` (what the Slurm fault driver
did) and a copy of the scenario file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workload.backends.base import Backend
from workload.checks.observed import Observed, load_observed
from workload.checks.plan import with_options
from workload.checks.registry import run_invariants
from workload.checks.result import CheckResult
from workload.checks.thresholds import check_metrics
from workload.run.runner import RunResult, run_source
from workload.rundir import (check_out, copy_scenario, scheduler_settings, write_checks,
                             write_faults)
from workload.scenario.backend import scenario_backend
from workload.scenario.model import Scenario
from workload.scenario.workloads import build

__all__ = ["ScenarioRun", "run_scenario"]


@dataclass
class ScenarioRun:
    scenario: Scenario
    result: RunResult
    observed: Observed
    checks: list[CheckResult]

    @property
    def passed(self) -> bool:
        return self.result.complete and all(c.passed for c in self.checks)


def run_scenario(scenario: Scenario, *, backend: str = "sim", out: str | Path | None = None,
                 on_progress: Callable[[int, int], None] | None = None,
                 cluster: str = "wlgen", fresh: bool = False, keep: bool = False,
                 force: bool = False, epoch: float | None = None) -> ScenarioRun:
    """Run on ``backend`` ("sim" or "slurm") and check the schedule.

    On Slurm the container cluster ``cluster`` is brought up for the run (``fresh``:
    removed first if it exists) and taken down after it unless it was already up or
    ``keep`` (see ``scenario_backend``). ``out``, ``force`` and ``epoch``: as for
    ``run_workload``."""
    check_out(out, force=force)    # before a cluster comes up for nothing
    info = scenario.cluster.info()
    source = build(scenario.workload, info)
    with scenario_backend(scenario, backend, cluster=cluster, fresh=fresh, keep=keep) as engine:
        result = run_source(source, engine, out=out, force=force, epoch=epoch,
                            kind=f"scenario-{backend}",
                            closed_loop=scenario.workload.closed_loop, on_progress=on_progress,
                            settings={"scenario": scenario.describe(),
                                      "policy": scenario.slurm.policy,
                                      "sim_ignored": getattr(engine, "ignored", None),
                                      **_scheduler(scenario, backend)})
    _keep_faults(result.run_dir, engine)
    copy_scenario(result.run_dir, scenario.file)
    observed = load_observed(result.run_dir)
    checks = run_invariants(observed, scenario.checks.invariants)
    if scenario.checks.metrics:
        checks.append(check_metrics(result.metrics, scenario.checks.metrics))
    write_checks(result.run_dir, with_options(checks, scenario.checks.invariants,
                                              scenario.checks.metrics))
    return ScenarioRun(scenario, result, observed, checks)


def _scheduler(scenario: Scenario, backend: str) -> dict[str, object]:
    """On real Slurm the container cluster runs the scenario's keys over its own: record
    those as the semantics to judge by (the simulator's record comes from its backend)."""
    if backend != "slurm":
        return {}
    return {"scheduler": scheduler_settings(scenario.slurm.config(scenario.cluster.slurm_version))}


def _keep_faults(run_dir: Path, backend: Backend) -> None:
    """What the Slurm fault driver did (nothing for the simulator)."""
    applied = getattr(getattr(backend, "faults", None), "applied", None)
    if applied is not None:
        write_faults(run_dir, applied)
