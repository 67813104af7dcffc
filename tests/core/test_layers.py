"""ARCHITECTURE.md's import rules, kept: testing/ never imports scenario/ (not even
through another module), sinks/ has no click, backends/ never import run/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

WORKLOAD = Path(__file__).resolve().parents[2] / "workload"


def imported(package: str) -> set[str]:
    """Every module a package's files name in an import statement."""
    names: set[str] = set()
    for path in (WORKLOAD / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return names


@pytest.mark.parametrize("package, forbidden", [
    ("testing", "workload.scenario"), ("sinks", "click"), ("backends", "workload.run"),
])
def test_a_package_does_not_import_what_its_layer_forbids(package, forbidden):
    assert not {n for n in imported(package)
                if n == forbidden or n.startswith(forbidden + ".")}


def test_the_testing_package_does_not_load_scenario_through_another_module():
    modules = [f"workload.testing.{p.stem}" for p in (WORKLOAD / "testing").glob("*.py")
               if p.stem != "__init__"]
    code = (f"import sys\nfor m in {modules!r}: __import__(m)\n"
            "print(sorted(m for m in sys.modules if m.startswith('workload.scenario')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert loaded.stdout.strip() == "[]"


def test_only_rundir_names_the_files_of_a_run_directory():
    from workload import rundir
    names = {rundir.EVENTS, rundir.SCHEDULE, rundir.METRICS, rundir.SETTINGS,
             rundir.ACCOUNTING, rundir.REQUESTS, rundir.CLUSTER, rundir.CHECKS,
             rundir.SCENARIO, rundir.FAULTS, rundir.SINKS, rundir.SPOOL}
    # a container cluster's state directory has a cluster.json of its own
    own = {("cluster/state.py", rundir.CLUSTER)}
    named = {(str(path.relative_to(WORKLOAD)), node.value)
             for path in WORKLOAD.rglob("*.py") if path.name != "rundir.py"
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and node.value in names}
    assert named <= own


def test_slurms_time_check_interval_has_one_owner():
    defined = [str(path.relative_to(WORKLOAD)) for path in WORKLOAD.rglob("*.py")
               for node in ast.parse(path.read_text(encoding="utf-8")).body
               if isinstance(node, ast.Assign)
               and any(getattr(t, "id", None) == "TIME_CHECK_S" for t in node.targets)]
    assert defined == ["slurmconf/defaults.py"]
