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

from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.parse import SQUEUE_ARGV, SQUEUE_JSON_ARGV, gpu_indices
from workload.backends.slurm.restapi import parse_jobs
from workload.backends.slurm.runner import Done, Runner
from workload.backends.slurm.request import submit_request
from workload.backends.slurm.tracker import Tracker
from workload.checks import FAIL, check_no_overcommit
from workload.checks.observed import load_observed
from workload.spec import JobSpec

SLURM = Path(__file__).parent / "data"
DATA = SLURM / "gpu"
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


class StoredSlurm(Runner):
    """The Runner seam answering like Slurm did: sinfo and squeue from stored output."""

    def __init__(self, sinfo: str, release: str) -> None:
        self.sinfo, self.release, self.asked = sinfo, release, []

    def run(self, argv, *, input=None, user=None, timeout=60) -> Done:
        self.asked.append(tuple(argv))
        if argv[0] == "sinfo":
            text = "slurm 24.11.5\n" if "--version" in argv else (SLURM / self.sinfo).read_text()
        elif tuple(argv) == SQUEUE_JSON_ARGV:
            text = (DATA / self.release / "squeue.json").read_text()
        else:   # squeue --Format, with --name as Slurm filters it
            names = [a.split("=", 1)[1] for a in argv if a.startswith("--name=")]
            text = "".join(line + "\n" for line in (DATA / self.release / "squeue.txt")
                           .read_text().splitlines()
                           if not names or line.rsplit("|", 1)[-1] in names)
        return Done(0, text, "")


@pytest.mark.parametrize("release", RELEASES)
def test_the_cli_watcher_reads_gpus_with_its_one_query_on_a_gpu_cluster(release: str) -> None:
    runner = StoredSlurm("sinfo_gpus_24.11.txt", release)
    client = CliClient(runner)
    client.describe()
    records = client.queue()
    assert {r.job_id: r.gpus for r in records} == GIVEN
    assert [a for a in runner.asked if a[0] == "squeue"] == [SQUEUE_JSON_ARGV]
    # Looking one job up by name stays the text query (the lost-answer reconcile).
    assert [r.job_id for r in client.queue("wlgen.gpucap.1")] == ["2"]


def test_without_gpus_the_cli_watcher_keeps_the_text_query() -> None:
    runner = StoredSlurm("sinfo.txt", "26.05")
    client = CliClient(runner)
    client.describe()
    client.queue()
    assert [a for a in runner.asked if a[0] == "squeue"] == [SQUEUE_ARGV]


RUN = DATA / "26.05" / "run-tres-per-job-short"


def test_slurm_2605_gave_a_gpus_2_task_one_gpu_and_the_check_says_so() -> None:
    """A real REST storm on 26.05.5 (60 jobs, big.py in the H1 report): array task 22_0
    asked --gpus=2 (tres_per_job) and Slurm started it beside a 1-GPU job, with the one
    free GPU. Its start event names that GPU, so no_overcommit says what happened (and
    not "at least 3 GPUs of 2", the count-only bound the CI run reported); the request
    wlgen now sends for such a job asks per node, which Slurm checks per node."""
    sacct = (DATA / "26.05" / "tres-per-job-short-sacct.txt").read_text().splitlines()
    row = dict(zip(sacct[0].split("|"), next(r.split("|") for r in sacct
                                             if r.startswith("22_0|"))))
    assert "gres/gpu=2" in row["ReqTRES"] and "gres/gpu=1" in row["AllocTRES"]
    assert "TresPerJob=gres/gpu:2" in (DATA / "26.05" /
                                       "tres-per-job-short-scontrol-d.txt").read_text()
    obs = load_observed(RUN)
    check = check_no_overcommit(obs)
    assert check.status == FAIL
    assert [(f["job_id"], f["problem"]) for f in check.violations] == [
        ("22_0", "given 1 GPUs, asked for 2")]
    spec = obs.requests[0]
    request = submit_request(spec, "r", "S", tasks=2)
    assert (request.gres, request.gpus) == ("gpu:2", None)
