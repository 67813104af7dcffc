"""A real GPU accounting dump read back and replayed (issue 16): tests/data/gpu/ holds
sacct -P and --json of a seeded GPU storm on a 24.11 container cluster with typed GPUs
(`--gpus 2:a100`; see tests/data/gpu/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.backends.sim import make_cluster_info
from workload.checks import check_no_overcommit
from workload.checks.result import PASS
from workload.event import REJECTED
from workload.sources import StormSource
from workload.sources.sacct import SacctSource
from workload.testing.observe import wlgen_run

DATA = Path(__file__).parents[1] / "data" / "gpu"
DUMPS = [("24.11-gpu-storm-sacct-P.txt", "sacct"), ("24.11-gpu-storm-sacct.json", "sacct-json")]
# The storm the dump was made from (README there): its GPU draws are regenerated here.
STORM = StormSource(12, size="1-2", runtime="3-6", job_gpus="1-2", gpu_share=0.6, seed=5)


@pytest.mark.parametrize("name, kind", DUMPS)
def test_every_job_comes_back_with_its_gpus_and_type(name: str, kind: str) -> None:
    back = list(SacctSource(DATA / name, kind=kind))
    assert sorted((s.procs, s.gpus) for s in back) == sorted((s.procs, s.gpus) for s in STORM)
    assert {s.gpu_type for s in back if s.gpus} == {"a100"}
    assert {s.gpu_type for s in back if not s.gpus} == {None}


@pytest.mark.parametrize("name, kind", DUMPS)
def test_the_dump_replays_on_a_gpu_cluster_and_is_refused_without_gpus(name: str,
                                                                      kind: str) -> None:
    specs = list(SacctSource(DATA / name, kind=kind))
    obs = wlgen_run(specs, cluster=make_cluster_info(2, 4, 2048, gpus=2, gpu_type="a100"))
    assert {j.state for j in obs.jobs} == {"COMPLETED"}
    assert check_no_overcommit(obs).status == PASS     # n/a would pass .passed
    bare = wlgen_run(specs, cluster=make_cluster_info(2, 4, 2048))
    rejected = {j.seq for j in bare.jobs if j.state == REJECTED}
    assert rejected == {s.seq for s in specs if s.gpus} and rejected
