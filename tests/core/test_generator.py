"""The generator: arrivals, closed-loop users, real-time runs, stalls, accounting."""

from __future__ import annotations

import json
import time


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
    return {e["seq"]: round(e["time"] - epoch, 6) for e in events_of(result)
            if e["kind"] == "submit"}


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


def test_a_slow_backend_set_up_does_not_eat_a_realtime_schedule(tmp_path):
    # Reaching a real controller can take seconds; the schedule starts after it, so
    # the jobs keep their spacing instead of being sent at once to catch up.
    backend = SimBackend(make_cluster_info(4, 1), "easy", realtime=True)
    original = backend.attach

    def slow_attach(env, emit, epoch, run_id=""):
        time.sleep(0.6)
        original(env, emit, epoch, run_id)
    backend.attach = slow_attach
    specs = [job(i, i * 0.1, runtime=0.3) for i in range(5)]
    result = run_workload(specs, backend, out=tmp_path / "run", epoch=0.0)
    assert result.complete
    assert result.outcome.wall_s >= 0.65       # the whole schedule, after the set-up


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


def test_ctrl_c_stops_between_events_and_the_run_directory_agrees_with_itself(
        tmp_path, monkeypatch):
    import os
    import signal

    from workload.sinks.jsonl import JsonlSink

    written = JsonlSink.emit

    def emit_then_ctrl_c(self, event):
        # The worst moment: an end is in events.jsonl, its job not yet in the metrics
        # or schedule.swf. A KeyboardInterrupt raised here left them disagreeing.
        written(self, event)
        if self.sent >= 2000 and event.kind == "end" and not killed:
            killed.append(event.seq)
            os.kill(os.getpid(), signal.SIGINT)
    killed: list[int] = []
    monkeypatch.setattr(JsonlSink, "emit", emit_then_ctrl_c)

    def storm():
        for i in range(5000):
            yield job(i, i * 0.5, runtime=0.25)

    result = run(storm(), tmp_path, nodes=2)
    assert result.outcome.interrupted and result.metrics["stopped_by"] == "interrupt"
    events = events_of(result)
    ends = {e["seq"] for e in events if e["kind"] == "end"}
    submits = [e for e in events if e["kind"] == "submit"]
    swf = [line for line in (result.run_dir / "schedule.swf").read_text().splitlines()
           if not line.startswith(";")]
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["ended"] == len(ends) == metrics["completed"]
    assert metrics["submitted"] == len(submits) < 5000
    assert sorted(int(line.split()[0]) - 1 for line in swf) == sorted(ends)   # ended jobs
    assert metrics["not_submitted"] is None   # a bare iterable: its size is unknown
    assert metrics["unaccounted"] == len(submits) - len(ends)


def test_an_input_error_mid_run_writes_the_directory_and_is_raised_again(tmp_path):
    import pytest

    from workload.errors import InputError

    def trace():
        yield job(0, 0)
        yield job(1, 1)
        raise InputError("must be a number", file="t.swf", line=7, field="run time")

    with pytest.raises(InputError, match="t.swf:7") as err:
        run(trace(), tmp_path)
    assert err.value.line == 7                       # the source's own error, not a copy
    run_dir = tmp_path / "run"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["stopped_by"] == "input error" and "t.swf:7" in metrics["stopped_by_error"]
    assert metrics["submitted"] == 2
    assert [e["kind"] for e in json.loads("[" + ",".join(
        (run_dir / "events.jsonl").read_text().splitlines()) + "]")].count("submit") == 2
    assert (run_dir / "accounting.json").exists()


def test_a_bug_raising_runtimeerror_in_a_simulation_is_not_reported_as_a_stall(tmp_path):
    import pytest

    backend = SimBackend(make_cluster_info(1, 1), "easy")

    def broken_submit(spec):
        raise RuntimeError("a bug in a backend")
    backend.submit = broken_submit
    with pytest.raises(RuntimeError, match="a bug in a backend"):
        run_workload([job(0, 0)], backend, out=tmp_path / "run", epoch=0.0)


def test_closed_loop_keeps_a_bounded_window_of_ends(tmp_path, monkeypatch):
    from workload.run import generator as gen_module
    from workload.run.generator import Generator
    from workload.run.recorder import Recorder

    monkeypatch.setattr(gen_module, "END_WINDOW", 100)
    chain = [job(i, i, runtime=1.0, preceding=i if i else None, think_s=0.5)
             for i in range(3000)]                     # each job follows the one before
    backend = SimBackend(make_cluster_info(1, 1), "easy")
    recorder = Recorder(tmp_path, run_id="r", total_cpus=1, epoch=0.0)
    generator = Generator(chain, backend, recorder, epoch=0.0, closed_loop=True)
    outcome = generator.run()
    recorder.close()
    assert outcome.submitted == outcome.ended == 3000 and outcome.open_loop_fallbacks == 0
    assert len(generator.end_of) <= 100                 # not one entry per job
    assert not generator.waiting and not generator.in_flight and not generator.source_of
