"""Run a workload on the simulator from a test and get back what happened.

``wlgen_run(workload, ...)`` takes a Source or any iterable of JobSpecs, runs it on a
simulated cluster (faults and requeue included) and returns the ``Observed``
schedule: ``.events``, ``.jobs`` (JobRecords), ``.metrics``, ``.requests``,
``.cluster`` and ``.run_dir`` (a full run directory: report, compare and the CLI read it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workload.backends.base import Backend, ClusterInfo
from workload.backends.select import make_backend
from workload.backends.sim import Calibration, make_cluster_info
from workload.backends.sim.calibrate import TEXTBOOK
from workload.checks.observed import Observed, load_observed
from workload.fault import Fault
from workload.run.runner import run_source
from workload.sources.base import Source
from workload.spec import JobSpec
from workload.testing.rundirs import new_run_dir


@dataclass(frozen=True)
class ClusterUnderTest:
    """A simulated cluster a test runs workloads on (real Slurm: testing.slurm)."""

    info: ClusterInfo
    policy: str = "easy"
    backend: str = "sim"
    options: dict[str, Any] = field(default_factory=dict)      # for the Slurm backend
    calibration: Calibration = TEXTBOOK                          # the simulator's

    def make_backend(self, faults: Sequence[Fault] = (), requeue: bool = True) -> Backend:
        return make_backend(self.backend, self.info, policy=self.policy, faults=faults,
                            requeue=requeue, calibration=self.calibration, **self.options)

    def run(self, workload: Source | Iterable[JobSpec], *, out: str | Path | None = None,
            faults: Sequence[Fault | tuple[float, str, bool]] = (), requeue: bool = True,
            closed_loop: bool = False) -> Observed:
        backend = self.make_backend(tuple(_fault(f) for f in faults), requeue)
        source = as_source(workload)
        out = out or new_run_dir("wlgen-test-")
        result = run_source(source, backend, out=out, kind=f"test-{self.backend}",
                            settings={"policy": self.policy}, closed_loop=closed_loop)
        return load_observed(result.run_dir)


def wlgen_run(workload: Source | Iterable[JobSpec], *, nodes: int = 4, cpus: int = 8,
              mem_mb: int = 64_000, policy: str = "easy",
              cluster: ClusterInfo | None = None, calibration: Calibration = TEXTBOOK,
              **options) -> Observed:
    """Run ``workload`` on a fresh simulated cluster; see ``ClusterUnderTest.run``."""
    info = cluster or make_cluster_info(nodes, cpus, mem_mb)
    return ClusterUnderTest(info, policy, calibration=calibration).run(workload, **options)


def as_source(workload: Source | Iterable[JobSpec]) -> Source:
    return workload if isinstance(workload, Source) else _Listed(workload)


class _Listed(Source):
    """Plain JobSpecs as a Source (nothing skipped, size unknown)."""

    name = "specs"

    def __init__(self, specs: Iterable[JobSpec]) -> None:
        super().__init__()
        self.specs = specs

    def __iter__(self):
        return iter(self.specs)


def _fault(fault: Fault | tuple[float, str, bool]) -> Fault:
    """(time, node, up) is short for a node_down / node_up fault."""
    if isinstance(fault, Fault):
        return fault
    at, node, up = fault
    return Fault(float(at), "node_up" if up else "node_down", node=node)
