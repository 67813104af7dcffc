"""A job that asked ``--gpus-per-node=N`` on pinned nodes replays its GPUs per node
(JobSpec.gpus_per_node); one that asked job-wide keeps them job-wide. The stored 24.11
dump's ``two-nodes`` row (``-N2 -n4``) given 4 GPUs in its TRES."""

from __future__ import annotations

import json

import pytest
from workload.errors import InputError
from workload.sources.jsonl import JsonlSource, write_jsonl
from workload.sources.sacct import SacctSource

from tests.sources.conftest import dump


def two_nodes(tmp_path, gpu_option: str):
    lines = dump("24.11", "sacct-P-allocations.txt").read_text().splitlines(keepends=True)
    path = tmp_path / "gpus.txt"
    path.write_text("".join(
        line.replace("node=2|", "node=2,gres/gpu=4|").replace("-N2 -n4", f"-N2 -n4 {gpu_option}")
        if line.startswith("19|") else line for line in lines))
    (spec,) = [s for s in SacctSource(path, kind="sacct") if s.name == "two-nodes"]
    return spec


def test_gpus_per_node_in_the_submit_line_replay_per_node(tmp_path):
    spec = two_nodes(tmp_path, "--gpus-per-node=2")
    assert (spec.nodes, spec.gpus, spec.gpus_per_node, spec.gpus_each) == (2, 4, True, 2)


@pytest.mark.parametrize("option", ["--gpus=4", "--gpus-per-node=1"])
def test_job_wide_or_inconsistent_gpus_stay_job_wide(tmp_path, option):
    # --gpus-per-node=1 on 2 nodes is 2 GPUs, not the 4 it got: not replayed per node
    spec = two_nodes(tmp_path, option)
    assert (spec.gpus, spec.gpus_per_node) == (4, False)


def test_jsonl_keeps_gpus_per_node_and_checks_it(tmp_path):
    spec = two_nodes(tmp_path, "--gpus-per-node=2")
    path = tmp_path / "jobs.jsonl"
    write_jsonl(path, [spec])
    assert list(JsonlSource(path)) == [spec]
    line = json.loads(path.read_text().splitlines()[1])
    path.write_text(path.read_text().splitlines()[0] + "\n"
                    + json.dumps({**line, "gpus_per_node": 1}) + "\n")
    with pytest.raises(InputError, match="must be true or false"):
        list(JsonlSource(path))
