"""``wlgen replay --partition-map SRC=DST,...``: a dump's partitions run in partitions the
cluster has; a target the cluster lacks, or a map that is not SRC=DST pairs, is an input
error (exit 2). On a real 24.11 cluster with a second partition (slurm.conf's own
PartitionName line via conf_extra), the stored dump's batch jobs run in it (sacct)."""

from __future__ import annotations

import json

import pytest

from workload.cluster import ClusterSpec, wait_for

from tests.clusters import per_run_name, session_cluster
from tests.sources.conftest import dump
from workload.testing.require import require

DUMP = str(dump("24.11", "sacct-P-allocations.txt"))


@pytest.mark.parametrize("given, said", [
    ("batch=gpu", "field --partition-map='gpu': partition 'gpu' is not on the cluster "
                  "(it has batch)"),
    ("batch", "must be SRC=DST pairs"), ("a=b,a=c", "each SRC once"), ("=x", "SRC=DST")])
def test_a_map_to_nowhere_or_not_a_map_is_exit_2(wlgen, tmp_path, given, said):
    result = wlgen("replay", DUMP, "--backend", "sim", "--nodes", "2", "--cpus", "4",
                   "--partition-map", given, "--out", str(tmp_path / "r"))
    assert result.exit_code == 2, result.output
    assert said in result.stderr and "Traceback" not in result.stderr


def test_mapped_jobs_keep_the_map_in_settings_on_the_simulator(wlgen, tmp_path):
    result = wlgen("replay", DUMP, "--backend", "sim", "--nodes", "2", "--cpus", "4",
                   "--partition-map", "batch=batch,debug=batch", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    settings = json.loads((tmp_path / "r" / "settings.json").read_text())
    assert settings["source"]["partition_map"] == {"batch": "batch", "debug": "batch"}


@pytest.mark.podman
@pytest.mark.slurm
@pytest.mark.slow
def test_on_slurm_the_dumps_jobs_run_in_the_mapped_partition(wlgen, tmp_path):
    require("cluster")
    spec = ClusterSpec(name=per_run_name("wlgen-partmap"), nodes=2, cpus=4, mem_mb=2048,
                       suite="trixie",
                       conf_extra="PartitionName=long Nodes=ALL MaxTime=INFINITE State=UP\n")
    # The dump's first three jobs (ok, fail, pipe|name; a sacct dump has no --limit),
    # through wlgen's own job format, which keeps their partition.
    jobs = tmp_path / "jobs.jsonl"
    assert wlgen("convert", DUMP, "-o", str(jobs)).exit_code == 0
    jobs.write_text("".join(jobs.read_text().splitlines(keepends=True)[:4]))
    with session_cluster(spec, []) as cluster:
        result = wlgen("replay", str(jobs), "--backend", "slurm", "--cluster", cluster.name,
                       "--nodes", "2", "--cpus", "4",
                       "--partition-map", "batch=long", "--out", str(tmp_path / "r"),
                       "--json")
        assert result.exit_code == 0, result.output
        metrics = json.loads(result.stdout)
        assert metrics["submitted"] == 3 and metrics["unaccounted"] == 0
        ends = [json.loads(x) for x in (tmp_path / "r" / "events.jsonl").read_text()
                .splitlines() if '"end"' in x]
        assert {e["partition"] for e in ends} == {"long"}

        def partitions() -> list[str] | None:   # accounting lags the queue
            out = cluster.slurm(["sacct", "-a", "-X", "-P", "-n", "-S", "2000-01-01",
                                 "-o", "JobName,Partition"])
            rows = [x.split("|") for x in out.splitlines() if x.startswith("wlgen.")]
            return [p for _, p in rows] if len(rows) == 3 else None
        assert wait_for(partitions, 60, "sacct to hold the 3 jobs") == ["long"] * 3
