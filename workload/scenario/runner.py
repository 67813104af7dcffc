"""Run a scenario: build its workload, run it, record what checks need, run the checks.

Besides the usual run directory files, a scenario run writes ``requests.jsonl`` (every
job spec as submitted), ``cluster.json`` (the nodes), ``checks.json`` (each check's
verdict) and a copy of the scenario file: what the checks, ``wlgen compare`` and
``wlgen report`` read later.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workload.backends.base import Backend
from workload.checks.observed import (CLUSTER, REQUESTS, Observed, cluster_to_dict,
                                      load_observed, tee_requests)
from workload.checks.registry import run_invariants
from workload.checks.result import CheckResult
from workload.checks.thresholds import check_metrics
from workload.rundir import write_json
from workload.run.runner import RunResult, run_workload
from workload.scenario.backend import scenario_backend
from workload.scenario.model import Scenario
from workload.scenario.workloads import build
from workload.sources.base import Source

CHECKS, FAULTS = "checks.json", "faults.jsonl"


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
                 cluster: str = "wlgen", fresh: bool = False, keep: bool = False
                 ) -> ScenarioRun:
    """Run on ``backend`` ("sim" or "slurm") and check the schedule.

    On Slurm the container cluster ``cluster`` is brought up for the run (``fresh``:
    removed first if it exists) and taken down after it unless it was already up or
    ``keep`` (see ``scenario_backend``)."""
    info = scenario.cluster.info()
    source = build(scenario.workload, info)
    with scenario_backend(scenario, backend, cluster=cluster, fresh=fresh, keep=keep) as engine:
        result = run_source(source, engine, out=out, kind=f"scenario-{backend}",
                            closed_loop=scenario.workload.closed_loop, on_progress=on_progress,
                            settings={"scenario": scenario.describe(),
                                      "policy": scenario.slurm.policy})
    _write_faults(result.run_dir, engine)
    shutil.copyfile(scenario.file, result.run_dir / "scenario.yaml")
    observed = load_observed(result.run_dir)
    checks = run_invariants(observed, scenario.checks.invariants)
    if scenario.checks.metrics:
        checks.append(check_metrics(result.metrics, scenario.checks.metrics))
    write_json(result.run_dir / CHECKS, [c.to_dict() for c in checks])
    return ScenarioRun(scenario, result, observed, checks)


def _write_faults(run_dir: Path, backend: Backend) -> None:
    """What the Slurm fault driver did, one fault a line (nothing for the simulator)."""
    applied = getattr(getattr(backend, "faults", None), "applied", None)
    if applied is None:
        return
    with open(run_dir / FAULTS, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(f, sort_keys=True, default=str) + "\n" for f in applied)


def run_source(source: Source, backend: Backend, *, out: str | Path | None, kind: str,
               settings: dict[str, object], closed_loop: bool = False,
               on_progress: Callable[[int, int], None] | None = None) -> RunResult:
    """run_workload plus the files the checks need (requests.jsonl, cluster.json)."""
    fd, tmp = tempfile.mkstemp(prefix="wlgen-requests-", suffix=".jsonl")
    os.close(fd)
    teed = tee_requests(source, Path(tmp))
    try:
        result = run_workload(teed, backend, kind=kind, out=out,
                              settings={**settings, "source": source.describe()},
                              closed_loop=closed_loop, skipped=lambda: dict(source.skipped),
                              on_progress=on_progress)
        teed.close()     # flushes requests.jsonl even if the run stopped early
        shutil.move(tmp, result.run_dir / REQUESTS)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    write_json(result.run_dir / CLUSTER, cluster_to_dict(backend.describe()))
    return result
