"""GPUs in the textbook simulator (issue 16): each GPU held by one job at a time, a job
asking for more than any placement could give rejected, no_overcommit checking GPUs."""

from __future__ import annotations

import random

import simpy

from workload.backends.sim import SimBackend, make_cluster_info
from workload.backends.sim.backend import GPUS_IGNORED
from workload.backends.sim.cluster import SimCluster
from workload.checks import check_no_overcommit
from workload.checks.result import FAIL, PASS
from workload.checks.observed import Observed
from workload.event import END, REJECTED, START, Event
from workload.slurmconf import SlurmConfig
from workload.spec import JobSpec
from workload.testing.observe import wlgen_run


def job(seq, submit, procs, runtime, **kw) -> JobSpec:
    return JobSpec(seq=seq, submit_s=submit, procs=procs, runtime_s=runtime,
                   time_limit_s=runtime, **kw)


def simulate(specs, info) -> list[Event]:
    env, events = simpy.Environment(), []
    sim = SimCluster(env, info, "easy", events.append, epoch=0.0)

    def submitter(spec):
        yield env.timeout(spec.submit_s)
        sim.submit(spec)

    for spec in specs:
        env.process(submitter(spec))
    env.run()
    return events


def by_kind(events, kind) -> dict[int, Event]:
    return {e.seq: e for e in events if e.kind == kind}


def test_a_gpu_is_never_given_twice_and_a_job_waits_for_free_gpus():
    # One node, 8 CPUs, 2 GPUs. J0 and J1 take one GPU each (CPUs are plenty); J2 wants
    # both and waits until J0 and J1 end at t=10, though 6 CPUs were free all along.
    info = make_cluster_info(1, 8, gpus=2)
    events = simulate([job(0, 0, 1, 10, gpus=1), job(1, 0, 1, 10, gpus=1),
                       job(2, 1, 1, 5, gpus=2)], info)
    started = by_kind(events, START)
    assert {started[0].gpus, started[1].gpus} == {("n1:0",), ("n1:1",)}
    assert started[2].time == 10.0 and started[2].gpus == ("n1:0", "n1:1")


def test_cpu_jobs_are_not_held_back_by_busy_gpus():
    info = make_cluster_info(1, 4, gpus=1)
    events = simulate([job(0, 0, 1, 10, gpus=1), job(1, 0, 2, 10)], info)
    started = by_kind(events, START)
    assert started[1].time == 0.0 and started[1].gpus == ()


def test_more_gpus_than_any_node_has_is_rejected_as_impossible():
    # 2 nodes x 2 GPUs. A 1-task job can use one node only: 3 GPUs is impossible.
    # With 2 tasks it may span both nodes, and runs with 2 + 1 GPUs.
    info = make_cluster_info(2, 4, gpus=2)
    events = simulate([job(0, 0, 1, 10, gpus=3), job(1, 0, 2, 10, gpus=3)], info)
    ended, started = by_kind(events, END), by_kind(events, START)
    assert ended[0].state == REJECTED and 0 not in started
    assert "3 GPUs requested, more than any node of partition batch has (2)" in ended[0].reason
    assert sorted(started[1].gpus) == ["n1:0", "n1:1", "n2:0"]
    assert started[1].nodes == ("n1", "n2")


def test_gpus_of_another_type_or_on_a_gpu_less_cluster_are_impossible():
    typed = make_cluster_info(1, 4, gpus=2, gpu_type="a100")
    events = simulate([job(0, 0, 1, 10, gpus=1, gpu_type="h100"),
                       job(1, 0, 1, 10, gpus=1, gpu_type="a100")], typed)
    ended = by_kind(events, END)
    assert ended[0].state == REJECTED and "1 GPUs of type h100" in ended[0].reason
    assert ended[1].state != REJECTED
    plain = simulate([job(0, 0, 1, 10, gpus=1)], make_cluster_info(1, 4))
    assert "partition batch has none" in by_kind(plain, END)[0].reason


def test_pinned_nodes_take_gpus_from_the_nodes_they_run_on():
    # J0 holds both GPUs of n1; J1 (-N 2, 3 GPUs) must wait: n2 alone has only 2 free.
    # J2 (-N 2, 2 GPUs) fits now with both GPUs of n2, and a task on n1 without any.
    info = make_cluster_info(2, 4, gpus=2)
    events = simulate([job(0, 0, 1, 10, gpus=2), job(1, 0, 2, 5, nodes=2, gpus=3),
                       job(2, 0, 2, 5, nodes=2, gpus=2)], info)
    started = by_kind(events, START)
    assert started[0].gpus == ("n1:0", "n1:1")
    assert started[2].time == 0.0 and started[2].gpus == ("n2:0", "n2:1")
    assert started[1].time == 10.0 and len(started[1].gpus) == 3
    assert {g.split(":")[0] for g in started[1].gpus} <= set(started[1].nodes)


def gpu_storm(count: int, seed: int) -> list[JobSpec]:
    rng = random.Random(seed)
    return [job(i, i * 0.5, rng.randint(1, 2), rng.uniform(1, 30),
                gpus=rng.choice((0, 1, 1, 2, 2, 3))) for i in range(count)]


def test_gpu_storm_passes_no_overcommit_and_measures_gpu_utilization():
    specs = gpu_storm(300, seed=7) + [job(300, 1, 1, 5, gpus=5)]
    obs = wlgen_run(specs, cluster=make_cluster_info(2, 2, gpus=2))
    result = check_no_overcommit(obs)
    assert result.status == PASS, result.summary()
    assert "GPUs checked" in result.note
    ended = {j.seq: j.state for j in obs.jobs}
    # 3 GPUs on one task (one node of 2 GPUs) is as impossible as the 5-GPU job.
    impossible = {s.seq for s in specs if s.gpus > 2 * s.procs}
    assert 300 in impossible and len(impossible) > 5
    assert {seq for seq, state in ended.items() if state == REJECTED} == impossible
    assert obs.metrics["rejected"] == len(impossible)
    assert 0.3 < obs.metrics["gpu_utilization"] <= 1.0
    busy = sum(j.run * j.gpus for j in obs.jobs)
    assert busy > 0 and max(j.gpus for j in obs.jobs) == 3


def test_no_overcommit_catches_a_gpu_given_twice():
    info = make_cluster_info(1, 4, gpus=2)
    events = [Event("submit", 0.0, 0, "a", "PENDING", procs=1),
              Event("submit", 0.0, 1, "b", "PENDING", procs=1),
              Event("start", 1.0, 0, "a", "RUNNING", procs=1, nodes=("n1",), gpus=("n1:0",)),
              Event("start", 2.0, 1, "b", "RUNNING", procs=1, nodes=("n1",), gpus=("n1:0",)),
              Event("end", 5.0, 0, "a", "COMPLETED", procs=1, nodes=("n1",)),
              Event("end", 6.0, 1, "b", "COMPLETED", procs=1, nodes=("n1",))]
    result = check_no_overcommit(Observed(events, info))
    assert result.status == FAIL
    assert "GPU n1:0 also held by job 0" in result.summary()


def test_no_overcommit_counts_requested_gpus_when_events_name_none():
    # A backend that only knows counts: two 2-GPU jobs at once on a 2-GPU node.
    info = make_cluster_info(1, 4, gpus=2)
    events = [Event("start", 1.0, s, str(s), "RUNNING", procs=1, nodes=("n1",)) for s in (0, 1)]
    events += [Event("end", 5.0, s, str(s), "COMPLETED", procs=1, nodes=("n1",)) for s in (0, 1)]
    requests = {s: job(s, 0, 1, 4, gpus=2) for s in (0, 1)}
    result = check_no_overcommit(Observed(events, info, requests))
    assert result.status == FAIL and "at least 4 GPUs of 2" in result.summary()


def test_slurm_mode_allocates_gpus_too():
    specs = gpu_storm(200, seed=11) + [job(200, 1, 1, 5, gpus=5)]
    obs = wlgen_run(specs, cluster=make_cluster_info(2, 2, gpus=2), policy="slurm")
    result = check_no_overcommit(obs)
    assert result.status == PASS and "GPUs checked" in result.note, result.summary()
    impossible = {s.seq for s in specs if s.gpus > 2 * s.procs}
    assert {j.seq for j in obs.jobs if j.state == REJECTED} == impossible
    given = [e.gpus for e in obs.events if e.kind == START and e.gpus]
    assert given and all(len(g) == len(set(g)) for g in given)
    assert obs.metrics["gpu_utilization"] > 0.3


def test_slurm_mode_says_what_of_gpus_it_does_not_model():
    with_gpus = SimBackend(make_cluster_info(2, 4, gpus=2), "slurm",
                           slurm=SlurmConfig(release="24.11"))
    without = SimBackend(make_cluster_info(2, 4), "slurm", slurm=SlurmConfig(release="24.11"))
    assert GPUS_IGNORED in with_gpus.ignored and GPUS_IGNORED not in without.ignored


def test_the_report_plots_gpu_use(tmp_path):
    from workload.report.page import write_report
    from workload.report.series import gpu_use

    # J0 holds 1 of 2 GPUs over [0, 10), J1 both over [10, 15): use 0.5, then 1, then 0.
    specs = [job(0, 0, 1, 10, gpus=1), job(1, 0, 1, 5, gpus=2)]
    obs = wlgen_run(specs, cluster=make_cluster_info(1, 4, gpus=2), out=tmp_path / "r")
    t0 = min(e.time for e in obs.events)
    x, y = gpu_use(obs, t0)
    assert list(x) == [0, 10, 15] and list(y) == [0.5, 1.0, 0.0]
    page = write_report([obs.run_dir], tmp_path / "report.html").read_text()
    assert 'id="gpu-use"' in page and "GPU use over time" in page
    cpu_only = wlgen_run([job(0, 0, 1, 5)], cluster=make_cluster_info(1, 4), out=tmp_path / "c")
    assert 'id="gpu-use"' not in write_report([cpu_only.run_dir], tmp_path / "c.html").read_text()
