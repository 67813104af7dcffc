"""Scenarios: a cluster, a Slurm configuration, a workload, faults and checks in one
YAML file (format: scenarios/README.md), loaded with clear errors and run on a backend.
"""

from workload.scenario.load import load_scenario, parse_scenario
from workload.scenario.model import Scenario
from workload.scenario.runner import ScenarioRun, run_scenario

__all__ = ["Scenario", "ScenarioRun", "load_scenario", "parse_scenario", "run_scenario"]
