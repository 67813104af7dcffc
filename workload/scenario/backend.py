"""A scenario's backend: the simulator now; the seam where real Slurm plugs in.

For ``slurm`` (``slurm_backend``): the scenario becomes a ClusterSpec (``cluster_spec``:
shape, Slurm version, slurm.conf overrides as ``conf_extra``), that cluster is brought
up (``workload.cluster.up``: a no-op when one of the same shape runs), and the Slurm
backend factory (``workload.backends.slurm.make_backend``) is asked for a backend on
it by name. Faults on real Slurm need a driver (scontrol for nodes, the container
engine for links and slurmctld) that does not exist yet, so a scenario with faults is
refused there; job_submit and accounts are recorded but not yet installed.
"""

from __future__ import annotations

from workload.backends.base import Backend
from workload.backends.select import make_backend as select_backend
from workload.backends.select import slurm_backend_available
from workload.cluster.config import SUITES, ClusterSpec
from workload.errors import BackendError, InputError
from workload.scenario.faults import sim_faults
from workload.scenario.model import Scenario
from workload.scenario.simbackend import ScenarioSim

SUITE_OF = {version: suite for suite, version in SUITES.items()}


def make_scenario_backend(scenario: Scenario, kind: str) -> Backend:
    if kind == "sim":
        faults = sim_faults(scenario.faults, str(scenario.file))
        return ScenarioSim(scenario.cluster.info(), scenario.slurm.policy, faults=faults,
                           requeue=scenario.slurm.requeue)
    return slurm_backend(scenario)


def slurm_backend(scenario: Scenario) -> Backend:
    """Real Slurm in containers, shaped and configured by the scenario."""
    if not slurm_backend_available():
        raise BackendError("the Slurm backend is not part of this build yet; use --backend sim")
    if scenario.faults:
        raise BackendError("faults on real Slurm are not wired yet (no fault driver); "
                           "run this scenario with --backend sim or without faults")
    from workload.cluster import up

    spec = cluster_spec(scenario)
    cluster = up(spec)
    return select_backend("slurm", cluster.describe(), cluster=spec.name)


def cluster_spec(scenario: Scenario, name: str = "wlgen") -> ClusterSpec:
    """The container cluster for a scenario (one partition, one node shape for now)."""
    parts = scenario.cluster.partitions
    if len(parts) != 1:
        raise InputError(f"the container cluster has one partition; this scenario has "
                         f"{len(parts)}", file=str(scenario.file), field="cluster.partitions")
    part = parts[0]
    suite = SUITE_OF.get(scenario.cluster.slurm_version or "", "bookworm")
    return ClusterSpec(name=name, nodes=part.nodes, cpus=part.cpus, mem_mb=part.memory_mb,
                       suite=suite, conf_extra=scenario.slurm.conf_lines())


def sim_notes(scenario: Scenario) -> list[str]:
    """What of the scenario the simulator records but does not model (said once per run)."""
    notes = [f"{f.where}: {f.action} skipped on the simulator (on_sim: skip)"
             for f in scenario.faults if f.action not in ("node_down", "node_up")]
    if scenario.slurm.job_submit_lua or scenario.slurm.job_submit_plugin:
        notes.append("job_submit: recorded for real Slurm; the simulator does not apply it")
    modelled = {"SchedulerType", "JobRequeue"}
    others = sorted(set(scenario.slurm.overrides) - modelled)
    if others:
        notes.append(f"slurm: {', '.join(others)} recorded for real Slurm only")
    if scenario.cluster.fabric:
        notes.append("cluster.fabric: recorded for real Slurm; the simulator has no network")
    if scenario.accounts:
        notes.append("accounts: recorded for real Slurm; the simulator has no fair-share")
    return notes
