"""schedule.swf of a run on real Slurm: Slurm's whole-second stamps on the 1/1024 s grid,
read back strictly and checked against the run's own events (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.backends.slurm.backend import SlurmBackend
from workload.cluster import Cluster
from workload.run.remeasure import measure_swf
from workload.run.runner import run_workload
from workload.sources import StormSource
from workload.swf import SwfReader

from tests.swfcheck import assert_schedule_true_to_events

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root]


def test_a_slurm_storms_schedule_is_true_to_its_events(cluster: Cluster, backend: SlurmBackend,
                                                       tmp_path: Path) -> None:
    source = StormSource(16, size="1-4", runtime="1-3", seed=7)
    result = run_workload(source, backend, kind="storm", out=tmp_path / "run",
                          settings={"policy": "easy"})
    assert result.complete, result.metrics
    assert_schedule_true_to_events(tmp_path / "run")
    reader = SwfReader(tmp_path / "run" / "schedule.swf")
    records = list(reader)
    header = reader.header
    # Slurm stamps whole seconds and UnixStartTime is the epoch's whole second: whole times.
    assert all(float(r.submit + r.wait).is_integer() for r in records)
    version = cluster.slurm(["sinfo", "--version"]).split()[-1]
    assert header.get("Computer").startswith(f"Slurm {version} cluster ")
    assert any("real Slurm" in n and "EASY" not in n for n in header.get_all("Note"))
    again = measure_swf(tmp_path / "run" / "schedule.swf")
    assert again["completed"] == result.metrics["completed"] == 16
    assert again["wait_mean_s"] == pytest.approx(result.metrics["wait_mean_s"], abs=1e-3)
