"""Heterogeneous jobs on the Slurm backend without a cluster: the sbatch argv and the
slurmrestd bodies built, and the stored real outputs of one (tests/data/het/, 22.05,
24.11 and 26.05: squeue, sacct and slurmrestd name each component, `10+0`, `10+1`) read as one
job that started and ended once, with all its components' CPUs and nodes."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
import simpy

from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.cli import CliClient
from workload.backends.slurm.command import impossible, sbatch_argv
from workload.backends.slurm.contact import Contact
from workload.backends.slurm.pack import shape
from workload.backends.slurm.parse import parse_sacct, parse_squeue
from workload.backends.slurm.request import submit_request
from workload.backends.slurm.restapi import Api, job_description, parse_db_jobs, parse_jobs
from workload.backends.slurm.runner import Done, Runner
from workload.backends.slurm.tracker import Tracker
from workload.backends.slurm.watcher import Watcher
from workload.errors import InputError
from workload.event import Event
from workload.spec import Component, JobSpec

DATA = Path(__file__).parents[1] / "data" / "het"
SEAM = Path(__file__).parent / "data"
RELEASES = {"22.05": ("10", "v0.0.38"), "24.11": ("22", "v0.0.42"),   # sbatch's id, API
            "26.05": ("10", "v0.0.44")}
HET = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=8, time_limit_s=60, user="u1",
              mem_per_cpu_mb=100, components=(Component(2, nodes=1, mem_per_cpu_mb=200),))


def stored(release: str, name: str) -> str:
    return (DATA / release / name).read_text()


def test_sbatch_gets_each_component_after_a_colon():
    request = submit_request(HET, "t1", "#!/bin/sh\n", partition="batch")
    assert sbatch_argv(request) == [
        "sbatch", "--parsable", "--job-name=wlgen.t1.0", "--ntasks=1", "--time=1",
        "--output=/dev/null", "--chdir=/tmp", "--mem-per-cpu=100", "--partition=batch",
        ":", "--ntasks=2", "--nodes=1", "--mem-per-cpu=200", "--partition=batch"]


def test_a_component_without_its_own_partition_is_in_the_jobs_not_the_default():
    # The job names "long" (e.g. --partition-map batch=long), the backend's default is
    # "batch": sbatch carries no --partition over, so every component must name "long".
    request = submit_request(HET.with_(partition="long"), "t1", "", partition="batch")
    argv = sbatch_argv(request)
    assert [a for a in argv if a.startswith("--partition")] == ["--partition=long"] * 2
    body = job_description(request, {}, Api("v0.0.42"))
    assert [j["partition"] for j in body["jobs"]] == ["long", "long"]


def test_a_component_without_memory_gets_the_default_as_the_job_does():
    spec = HET.with_(mem_per_cpu_mb=None, components=(Component(2),))
    argv = sbatch_argv(submit_request(spec, "t1", "", mem_per_cpu_mb=50))
    assert argv[argv.index(":"):] == [":", "--ntasks=2", "--mem-per-cpu=50"]


def test_slurmrestd_gets_a_jobs_list_in_either_shape():
    request = submit_request(HET, "t1", "#!/bin/sh\n")
    old = job_description(request, {"A": "1"}, Api("v0.0.38"))
    assert set(old) == {"script", "jobs"} and old["script"] == "#!/bin/sh\n"
    assert [(j["tasks"], j.get("nodes"), j["memory_per_cpu"], j["name"]) for j in old["jobs"]] \
        == [(1, None, 100, "wlgen.t1.0"), (2, [1, 1], 200, "wlgen.t1.0")]
    assert all(j["environment"] == {"A": "1"} for j in old["jobs"])
    new = job_description(request, {"A": "1"}, Api("v0.0.42"))
    assert set(new) == {"jobs"} and new["jobs"][0]["script"] == "#!/bin/sh\n"
    assert [(j["tasks"], j.get("minimum_nodes"), j["time_limit"]) for j in new["jobs"]] == \
        [(1, None, 1), (2, 1, 1)]
    assert "script" not in new["jobs"][1] and new["jobs"][1]["environment"] == ["A=1"]


def test_a_het_job_is_never_packed_and_never_an_array():
    twin = HET.with_(seq=1)
    assert shape(HET) != shape(twin)     # same shape otherwise: an ordinary pair would pack
    assert shape(HET.with_(components=())) == shape(twin.with_(components=()))
    with pytest.raises(InputError, match="cannot be an array"):
        submit_request(HET, "t1", "", tasks=2)


def test_a_component_that_cannot_fit_is_refused_before_sbatch():
    big = HET.with_(components=(Component(5, nodes=1),))
    assert impossible(big, 2, 4, 1024) == \
        "heterogeneous job component 1 asks for 5 CPUs on 1 nodes of 4"
    assert impossible(HET.with_(procs=4, components=(Component(5),)), 2, 4, 1024) == \
        "asks for 9 CPUs in all components, the cluster has 8"
    assert impossible(HET, 2, 4, 1024) is None


def test_components_that_fit_alone_but_never_together_are_refused():
    # 4 CPUs on one node, then 3 on two: each fits 2 x 4 alone and 7 <= 8, but once the
    # first holds a node whole only one node has room for the second. Slurm would keep it
    # pending for ever (and a storm waiting on it would never end).
    joint = HET.with_(procs=4, nodes=1, components=(Component(3, nodes=2),))
    assert impossible(joint, 2, 4, 64_000) == \
        "asks for 2 components that cannot all be placed at once on 2 nodes x 4 CPUs, even idle"
    # Memory: three 1-CPU components of 40 GB each need three 64 GB nodes.
    heavy = HET.with_(procs=1, nodes=None, mem_per_cpu_mb=40_000,
                      components=(Component(1, mem_per_cpu_mb=40_000),) * 2)
    assert "cannot all be placed" in impossible(heavy, 2, 4, 64_000)
    assert impossible(heavy, 3, 4, 64_000) is None


@pytest.mark.parametrize("release", RELEASES)
def test_squeue_and_sacct_components_are_one_record(release):
    job_id, _ = RELEASES[release]
    for name, state, start, end in (("squeue-pending.txt", "PENDING", None, None),
                                    ("squeue-running.txt", "RUNNING", True, None),
                                    ("squeue-completed.txt", "COMPLETED", True, True),
                                    ("sacct-completed.txt", "COMPLETED", True, True)):
        parse = parse_sacct if name.startswith("sacct") else parse_squeue
        (het,) = [r for r in parse(stored(release, name)) if r.name == "wlgen.cap.1"]
        assert (het.job_id, het.state, het.cpus) == (job_id, state, 3), name
        assert het.nodes == (() if state == "PENDING" else ("n1", "n2")), name
        assert (het.start is not None) == bool(start) and (het.end is not None) == bool(end)


@pytest.mark.parametrize("release", RELEASES)
def test_slurmrestd_components_are_one_record(release):
    job_id, _ = RELEASES[release]
    cli = {r.job_id: r for r in parse_squeue(stored(release, "squeue-completed.txt"))}
    for name, state in (("rest-jobs-pending.json", "PENDING"),
                        ("rest-jobs-running.json", "RUNNING"),
                        ("rest-jobs-completed.json", "COMPLETED")):
        records = parse_jobs(json.loads(stored(release, name)))
        (het,) = [r for r in records if r.name == "wlgen.cap.1"]
        assert (het.job_id, het.state, het.cpus) == (job_id, state, 3), name
        assert len(records) == 2          # the blocker and the het job, nothing else
    assert (het.start, het.end, het.nodes) == (cli[job_id].start, cli[job_id].end,
                                               ("n1", "n2"))
    (db,) = parse_db_jobs(json.loads(stored(release, "rest-db-jobs.json")))
    assert (db.job_id, db.state, db.cpus, db.nodes, db.start, db.end) == (
        job_id, "COMPLETED", 3, ("n1", "n2"), het.start, het.end)


class Stored(Runner):
    """sbatch answers the stored id; each squeue the next stored snapshot, under the run's
    job name (the stored one is wlgen.cap.1)."""

    def __init__(self, release: str) -> None:
        self.release = release
        self.squeue = ["squeue-pending.txt", "squeue-running.txt", "squeue-completed.txt"]
        self.sbatch: list[tuple[list[str], str | None]] = []

    def run(self, argv: Sequence[str], *, input: str | None = None,
            user: tuple[int, int] | None = None, timeout: float = 60) -> Done:
        if argv[0] == "sbatch":
            self.sbatch.append((list(argv), input))
            return Done(0, RELEASES[self.release][0] + "\n", "")
        if argv[0] == "squeue":
            text = stored(self.release, self.squeue.pop(0) if len(self.squeue) > 1
                          else self.squeue[0])
            return Done(0, text.replace("wlgen.cap.1", "wlgen.t1.0"), "")
        if argv[0] == "sinfo":
            name = "sinfo_version.txt" if "--version" in argv else "sinfo.txt"
            return Done(0, (SEAM / name).read_text(), "")
        return Done(0, "", "")


@pytest.mark.parametrize("release", RELEASES)
def test_the_backend_tracks_one_job_from_its_components(release):
    runner = Stored(release)
    backend = SlurmBackend(CliClient(runner), cluster_name="fake", workers=1,
                           say=lambda line: None)
    emitted: list[Event] = []
    backend.attach(simpy.Environment(), emitted.append, 0.0, "t1")
    assert backend.watcher is not None
    backend.watcher.stop()
    try:
        backend._submit_group([HET], 0.0)       # what a submit worker does
        (argv, script), = runner.sbatch
        assert argv.count(":") == 1 and script and script.startswith("#!")
        tracker, contact = Tracker(), Contact("fake", 300)
        tracker.add(0, RELEASES[release][0], HET, "batch", (0.0, 0.0))
        events: list[Event] = []
        watcher = Watcher(CliClient(runner), tracker, threading.Lock(), "wlgen.t1.",
                          events.append, contact)
        for _ in range(3):
            watcher.poll()
    finally:
        backend.close()
    squeue = {r.job_id: r for r in parse_squeue(stored(release, "squeue-completed.txt"))}
    het = squeue[RELEASES[release][0]]
    assert [(e.kind, e.state, e.procs) for e in events] == [
        ("submit", "PENDING", 3), ("start", "RUNNING", 3), ("end", "COMPLETED", 3)]
    assert events[1].time == het.start and events[2].time == het.end
    assert events[1].nodes == ("n1", "n2")
