"""The generator: arrivals, closed-loop users, real-time runs, stalls, accounting."""

from __future__ import annotations

import json


from workload.backends.sim import SimBackend, make_cluster_info
from workload.run.runner import run_workload
from workload.spec import JobSpec


def job(seq, submit, procs=1, runtime=10.0, **kw) -> JobSpec:
    return JobSpec(seq=seq, submit_s=submit, procs=procs, runtime_s=runtime,
                   time_limit_s=kw.pop("limit", runtime), source_id=seq + 1, **kw)


def events_of(result):
    lines = (result.run_dir / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def submit_times(result) -> dict[int, float]:
    epoch = json.loads((result.run_dir / "settings.json").read_text())["epoch"]
    return {e["seq"]: round(e["time"] - epoch, 6) for e in events_of(result) if e["kind"] == "submit"}


def run(specs, tmp_path, *, nodes=4, cpus=1, realtime=False, **kw):
    backend = SimBackend(make_cluster_info(nodes, cpus), "easy", realtime=realtime)
    return run_workload(specs, backend, out=tmp_path / "run", epoch=1_000_000.0, **kw)


def test_jobs_are_submitted_at_their_offsets(tmp_path):
    result = run([job(0, 0), job(1, 5.5), job(2, 5.5), job(3, 100)], tmp_path)
    assert submit_times(result) == {0: 0, 1: 5.5, 2: 5.5, 3: 100}
    assert result.complete and result.metrics["completed"] == 4


def test_closed_loop_submits_after_the_predecessor_ends_plus_think_time(tmp_path):
    # Job 2 (source id 2) follows job 1, which ends at 0 + 10; think 30 -> submit at 40,
    # although the trace said 5.
    specs = [job(0, 0), job(1, 5, preceding=1, think_s=30)]
    result = run(specs, tmp_path, closed_loop=True)
    assert submit_times(result) == {0: 0, 1: 40}


def test_closed_loop_chain_and_already_ended_predecessor(tmp_path):
    # Chain 1 -> 2 -> 3 (source ids): ends at 10, 25, 40, so submits at 0, 15, 30.
    # Job 4 also follows 1: SWF field 18 is the time from the predecessor's end to this
    # submit, so its trace submit time (500) is superseded: 10 + 0.
    specs = [job(0, 0, runtime=10), job(1, 1, runtime=10, preceding=1, think_s=5),
             job(2, 2, runtime=10, preceding=2, think_s=5),
             job(3, 500, preceding=1, think_s=0)]
    result = run(specs, tmp_path, closed_loop=True)
    assert submit_times(result) == {0: 0, 1: 15, 2: 30, 3: 10}
    assert result.metrics["open_loop_fallbacks"] == 0


def test_open_loop_ignores_dependencies(tmp_path):
    specs = [job(0, 0), job(1, 5, preceding=1, think_s=30)]
    assert submit_times(run(specs, tmp_path, closed_loop=False)) == {0: 0, 1: 5}


def test_predecessor_outside_the_workload_falls_back_to_open_loop_and_is_counted(tmp_path):
    result = run([job(0, 3, preceding=99, think_s=1)], tmp_path, closed_loop=True)
    assert submit_times(result) == {0: 3}
    assert result.metrics["open_loop_fallbacks"] == 1


def test_realtime_run_takes_wall_clock_time(tmp_path):
    specs = [job(i, i * 0.1, runtime=0.3) for i in range(5)]
    result = run(specs, tmp_path, realtime=True)
    assert result.complete and result.metrics["completed"] == 5
    assert 0.65 <= result.outcome.wall_s < 3.0     # last job ends at 0.4 + 0.3


def test_stalled_simulation_ends_and_names_the_stuck_jobs(tmp_path):
    from workload.backends.sim.cluster import SimCluster
    backend = SimBackend(make_cluster_info(2, 1), "easy")
    original = backend.attach

    def attach_with_a_dead_node(env, emit, epoch, run_id=""):
        original(env, emit, epoch, run_id)
        backend.cluster.set_node("n1", False)     # never comes back
    backend.attach = attach_with_a_dead_node
    result = run_workload([job(0, 0, procs=2), job(1, 0, procs=1)], backend,
                          out=tmp_path / "run", epoch=0.0)
    assert isinstance(backend.cluster, SimCluster)
    assert result.outcome.stalled and not result.complete
    accounting = json.loads((result.run_dir / "accounting.json").read_text())
    assert accounting["unaccounted_seqs"] == [0]
    assert result.metrics["completed"] == 1


def test_interrupt_writes_the_run_directory_and_counts_the_unfinished(tmp_path):
    def interrupted():
        yield job(0, 0, runtime=5)
        yield job(1, 1, runtime=5)
        raise KeyboardInterrupt

    result = run(interrupted(), tmp_path)
    assert result.outcome.interrupted and not result.complete
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["interrupted"] is True
    assert metrics["submitted"] == 2 and metrics["unaccounted"] == 2
    assert (result.run_dir / "schedule.swf").exists()


def test_every_job_is_accounted_for_in_a_large_storm(tmp_path):
    from workload.sources import StormSource
    result = run(StormSource(3000, size="1-4", runtime="1-100", seed=3), tmp_path,
                 nodes=8, cpus=8)
    m = result.metrics
    assert m["submitted"] == 3000 == m["completed"] + m["timeout"] + m["rejected"]
    assert m["unaccounted"] == 0 and m["events"] == 3 * 3000
