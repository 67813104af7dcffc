"""Every shipped scenario, at its full size, passes its own checks on the simulator
(`wlgen run FILE --backend sim`), as a user running it first would see it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workload.checks import FAIL
from workload.cli.main import cli
from workload.errors import InputError
from workload.scenario import load_scenario
from workload.scenario.backend import make_scenario_backend

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def needs_real_slurm(path: Path) -> str | None:
    """Why the scenario cannot run on the simulator at all, or None."""
    try:
        make_scenario_backend(load_scenario(path), "sim")
    except InputError as err:
        if "cannot run on the simulator" in str(err):
            return str(err)
        raise
    return None


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_scenario_passes_its_checks_at_full_size(path, tmp_path):
    reason = needs_real_slurm(path)
    if reason:
        pytest.skip(f"needs real Slurm: {reason}")
    out = tmp_path / "run"
    done = CliRunner().invoke(cli, ["run", str(path), "--backend", "sim", "--out", str(out)],
                              catch_exceptions=False)
    checks = json.loads((out / "checks.json").read_text())
    failed = [c for c in checks if c["status"] == FAIL]
    assert done.exit_code == 0 and not failed, done.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["unaccounted"] == 0 and metrics["stopped_by"] is None
    assert metrics["submitted"] == load_scenario(path).workload.jobs
    for name in ("requests.jsonl", "cluster.json", "checks.json", "scenario.yaml"):
        assert (out / name).exists(), name
