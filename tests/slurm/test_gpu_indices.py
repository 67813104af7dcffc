"""Which GPUs Slurm gave each job, read from the watcher's one queue query (issue 16).

Stored real answers of Slurm 22.05, 24.11 and 26.05 (tests/slurm/data/gpu/<release>/,
made by capture.py there on 2-node x 2-GPU container clusters): a 1-GPU job on n1, a
2-GPU job on n2, a job without GPUs on n1 and an array of 1-GPU tasks, task 0 running
on n1 beside the 1-GPU job, tasks 1-3 pending in one unsplit record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workload.backends.slurm.parse import gpu_indices
from workload.backends.slurm.restapi import parse_jobs
from workload.backends.slurm.tracker import Tracker
from workload.spec import JobSpec

DATA = Path(__file__).parent / "data" / "gpu"
RELEASES = ("22.05", "24.11", "26.05")
GIVEN = {"1": ("n1:0",), "2": ("n2:0", "n2:1"), "3": (), "4_0": ("n1:1",),
         "4_1": (), "4_2": (), "4_3": ()}


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("answer", ["rest-jobs.json", "squeue.json"])
def test_the_gpus_of_running_jobs_are_read_by_index(release: str, answer: str) -> None:
    records = parse_jobs(json.loads((DATA / release / answer).read_text()))
    assert {r.job_id: r.gpus for r in records} == GIVEN


@pytest.mark.parametrize("release", RELEASES)
def test_scontrol_shows_the_same_indices(release: str) -> None:
    """scontrol show job -d's per-node GRES, in the same words the parser reads."""
    text = (DATA / release / "scontrol-d.txt").read_text()
    lines = [line.split() for line in text.splitlines()
             if line.strip().startswith("Nodes=") and "GRES=gpu" in line]
    got = [gpu_indices((words[0].split("=")[1],), [words[-1].split("=", 1)[1]])
           for words in lines]
    assert got == [("n1:0",), ("n2:0", "n2:1"), ("n1:1",)]


@pytest.mark.parametrize("details,nodes,want", [
    (["gpu:2(IDX:0-1)"], ("n1",), ("n1:0", "n1:1")),
    (["gpu:a100:1(IDX:3)"], ("n1",), ("n1:3",)),
    (["gpu:3(IDX:0,2-3)"], ("n1",), ("n1:0", "n1:2", "n1:3")),
    (["gpu:1(IDX:1)", "gpu:2(IDX:0-1)"], ("n1", "n2"), ("n1:1", "n2:0", "n2:1")),
    (["gpu:1(IDX:0),shard:2(1/4)"], ("n1",), ("n1:0",)),
    ([""], ("n1",), ()),
    ([], ("n1",), ()),
    (["gpu:1(IDX:N/A)"], ("n1",), ()),          # no index known: none, not a guess
    (["gpu:1(IDX:0)"], ("n1", "n2"), ()),       # does not line up with the nodes
])
def test_gpu_indices(details: list[str], nodes: tuple[str, ...], want: tuple[str, ...]) -> None:
    assert gpu_indices(nodes, details) == want


def test_the_start_event_names_the_gpus_and_the_end_event_does_not() -> None:
    records = {r.job_id: r for r in parse_jobs(json.loads(
        (DATA / "26.05" / "rest-jobs.json").read_text()))}
    tracker = Tracker()
    tracker.add(7, "2", JobSpec(seq=7, submit_s=0, procs=1, runtime_s=60, time_limit_s=60,
                                gpus=2), "batch", (0.0, 0.0))
    events = tracker.observe(7, records["2"])
    assert [(e.kind, e.gpus) for e in events] == [("submit", ()), ("start", ("n2:0", "n2:1"))]
