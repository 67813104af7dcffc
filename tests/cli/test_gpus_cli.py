"""GPUs from the command line and scenarios (issue 16): --gpus G[:TYPE] shapes the
simulated cluster, --job-gpus/--gpu-share mark storm and Lublin jobs, seeded."""

from __future__ import annotations

import json
import textwrap

import pytest

from workload.errors import InputError
from workload.gres import parse_gpus
from workload.rundir import read_cluster, read_requests
from workload.scenario.load import load_scenario
from workload.sources import LublinSource, StormSource
from workload.sources.jsonl import JsonlSource


def test_gpu_shape_text():
    assert parse_gpus("2") == (2, None) and parse_gpus("4:a100") == (4, "a100")
    for bad in ("two", "2:", "0:a100", "65", "-1"):
        with pytest.raises(InputError):
            parse_gpus(bad)


def test_storm_gpu_share_is_seeded_and_leaves_the_other_draws_alone():
    plain = list(StormSource(400, size="1-4", seed=5))
    marked = list(StormSource(400, size="1-4", seed=5, job_gpus="pow2:1-8", gpu_share=0.25))
    again = list(StormSource(400, size="1-4", seed=5, job_gpus="pow2:1-8", gpu_share=0.25))
    assert [(s.procs, s.runtime_s) for s in plain] == [(s.procs, s.runtime_s) for s in marked]
    assert [s.gpus for s in marked] == [s.gpus for s in again]
    counts = [s.gpus for s in marked if s.gpus]
    assert set(counts) == {1, 2, 4, 8} and 0.18 < len(counts) / 400 < 0.32
    assert all(s.gpus for s in StormSource(50, job_gpus="2"))          # share 1 by default
    assert {s.gpus for s in StormSource(50, job_gpus="1-3", gpu_share=0)} == {0}


def test_lublin_marks_a_share_of_its_jobs():
    jobs = list(LublinSource(500, 64, seed=1, job_gpus="1-2", gpu_share=0.5))
    assert [s.procs for s in jobs] == [s.procs for s in LublinSource(500, 64, seed=1)]
    share = sum(1 for s in jobs if s.gpus) / len(jobs)
    assert 0.4 < share < 0.6 and {s.gpus for s in jobs} == {0, 1, 2}


def test_storm_on_a_gpu_cluster_records_gpus_end_to_end(wlgen, tmp_path):
    out = tmp_path / "r"
    result = wlgen("storm", "--jobs", "120", "--nodes", "2", "--cpus", "4", "--gpus", "2:a100",
                   "--job-gpus", "1-3", "--gpu-share", "0.5", "--seed", "4", "--backend", "sim",
                   "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    requests = read_requests(out)
    # One task can use one node only: 3 GPUs on a 2-GPU node is rejected, nothing else.
    assert metrics["rejected"] == sum(1 for s in requests.values() if s.gpus == 3) > 0
    assert 0 < metrics["gpu_utilization"] <= 1
    assert "GPU utilisation" in result.stderr
    assert [(n.gpus, n.gpu_type) for n in read_cluster(out).nodes] == [(2, "a100")] * 2
    starts = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    given = [e["gpus"] for e in starts if e["kind"] == "start" and e["gpus"]]
    assert given and all(g.split(":")[0] in ("n1", "n2") for gs in given for g in gs)
    check = wlgen("check", str(out))
    assert check.exit_code == 0, check.output
    assert "GPUs checked" in check.output


@pytest.mark.parametrize("args, message", [
    (("--gpus", "2:x:y"), "expected G or G:TYPE"),
    (("--job-gpus", "exp:2"), "expected N, LOW-HIGH or pow2:LOW-HIGH"),
    (("--job-gpus", "1", "--gpu-share", "1.5"), "must be a fraction between 0 and 1"),
    (("--gpu-share", "0.5"), "needs --job-gpus"),
])
def test_bad_gpu_options_are_usage_errors(wlgen, tmp_path, args, message):
    result = wlgen("storm", "--jobs", "3", "--backend", "sim", "--out", str(tmp_path / "r"),
                   *args)
    assert result.exit_code == 2 and message in result.output


def test_generate_lublin_with_gpus_writes_wlgen_jobs(wlgen, tmp_path):
    out = tmp_path / "gpu.jsonl"
    result = wlgen("generate", "lublin", "--jobs", "200", "--procs", "16", "--job-gpus", "1",
                   "--gpu-share", "0.3", "-o", str(out))
    assert result.exit_code == 0, result.output
    specs = list(JsonlSource(str(out)))
    assert len(specs) == 200 and 30 < sum(s.gpus for s in specs) < 90
    refused = wlgen("generate", "lublin", "--jobs", "5", "--job-gpus", "1",
                    "-o", str(tmp_path / "x.swf"))
    assert refused.exit_code == 2 and "SWF has no GPU field" in refused.output


def test_scenario_cluster_gpus_and_workload_gpu_share(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""\
        name: gpus
        cluster:
          cpus: 4
          gpus: "2:a100"
          partitions:
            - {name: cpu, nodes: 2, gpus: 0}
            - {name: gpu, nodes: 2, default: true}
        workload: {kind: storm, jobs: 40, job_gpus: 1-2, gpu_share: 0.5}
        """))
    scenario = load_scenario(path)
    info = scenario.cluster.info()
    assert [(n.gpus, n.gpu_type) for n in info.nodes] == [(0, None)] * 2 + [(2, "a100")] * 2
    assert scenario.workload.params["gpu_share"] == 0.5
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster: {nodes: 1, gpus: lots}\nworkload: {kind: storm}\n")
    with pytest.raises(InputError, match="gpus.*expected G or G:TYPE"):
        load_scenario(bad)


def test_a_scenarios_gpus_reach_the_container_cluster(tmp_path):
    from workload.scenario.backend import cluster_spec

    path = tmp_path / "s.yaml"
    path.write_text("cluster: {nodes: 2, cpus: 4, gpus: '2:a100'}\nworkload: {kind: storm}\n")
    spec = cluster_spec(load_scenario(path), name="g")
    assert (spec.gpus, spec.gpu_type) == (2, "a100")


def test_slurm_mode_on_gpus_records_what_it_does_not_model(wlgen, tmp_path):
    out = tmp_path / "r"
    result = wlgen("storm", "--jobs", "30", "--nodes", "2", "--cpus", "4", "--gpus", "2",
                   "--job-gpus", "1-2", "--policy", "slurm", "--backend", "sim",
                   "--out", str(out))
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "settings.json").read_text())
    assert any(s.startswith("GPUs (gres/gpu)") for s in settings["sim_ignored"])
    starts = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert any(e["gpus"] for e in starts if e["kind"] == "start")


def test_a_lublin_scenario_marks_gpu_jobs(tmp_path):
    from workload.scenario.workloads import build

    path = tmp_path / "s.yaml"
    path.write_text("cluster: {nodes: 2, cpus: 8, gpus: 4}\n"
                    "workload: {kind: lublin, jobs: 300, seed: 2, job_gpus: 2, "
                    "gpu_share: 0.25}\n")
    scenario = load_scenario(path)
    specs = list(build(scenario.workload, scenario.cluster.info()))
    share = sum(1 for s in specs if s.gpus == 2) / len(specs)
    assert 0.15 < share < 0.35 and {s.gpus for s in specs} == {0, 2}
