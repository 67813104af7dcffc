"""The run directory contract: every run writes the same files; one run a directory;
the same simulated command writes the same bytes."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from click.testing import CliRunner

from workload.backends.sim import SimBackend, make_cluster_info
from workload.cli.main import cli
from workload.errors import InputError
from workload.rundir import (DEFAULT_SIM_EPOCH, RUN_FILES, read_cluster, read_requests,
                             spec_from_dict, spec_line)
from workload.run.runner import run_workload
from workload.sources import StormSource
from workload.spec import Component, JobSpec


def storm_run(tmp_path, name="run", **kw):
    return run_workload(StormSource(30, size="1-4", runtime="1-20", seed=2),
                        SimBackend(make_cluster_info(2, 4)), out=tmp_path / name, **kw)


def test_every_run_writes_requests_and_cluster(tmp_path):
    result = storm_run(tmp_path)
    for name in RUN_FILES:
        assert (result.run_dir / name).exists(), name
    requests = read_requests(result.run_dir)
    assert sorted(requests) == list(range(30))
    assert requests == {s.seq: s for s in StormSource(30, size="1-4", runtime="1-20", seed=2)}
    cluster = read_cluster(result.run_dir)
    assert [(n.name, n.cpus) for n in cluster.nodes] == [("n1", 4), ("n2", 4)]


def test_a_spec_line_names_every_field_and_reads_back():
    spec = JobSpec(seq=3, submit_s=1.5, procs=2, runtime_s=9.0, time_limit_s=60.0, nodes=1,
                   mem_per_cpu_mb=100, user='u"1', account="a", partition="p", source_id=4,
                   executable=2, preceding=1, think_s=0.5, payload="cpu",
                   payload_args=("--duty", "0.5"))
    plain = json.loads(spec_line(spec))
    assert spec_from_dict(plain) == spec
    # Every field a spec can carry is written when it is not its default.
    other = {f.name: f.default for f in fields(JobSpec)}
    rich = spec.with_(**{name: _non_default(value, name) for name, value in other.items()
                         if name not in plain})
    data = json.loads(spec_line(rich))
    assert list(data) == [f.name for f in fields(JobSpec)]
    assert spec_from_dict(data) == rich


def _non_default(default, name: str = ""):
    if name == "components":      # a heterogeneous job's further components
        return (Component(2, nodes=1, mem_per_cpu_mb=64, gpus=1, gpu_type="x",
                          partition="p2"),)
    if isinstance(default, tuple):
        return (("afterok", (1, 2)),)
    if isinstance(default, int) and not isinstance(default, bool):
        return default + 1
    return "x" if default is None or isinstance(default, str) else 1.5


def test_a_non_empty_out_is_refused_and_force_replaces_a_run(tmp_path):
    first = storm_run(tmp_path)
    with pytest.raises(InputError, match="--out is not empty"):
        storm_run(tmp_path)
    again = storm_run(tmp_path, force=True)
    events = (again.run_dir / "events.jsonl").read_text().splitlines()
    assert len(events) == 3 * 30        # one run's events, not two runs appended
    assert again.run_id != first.run_id
    other = tmp_path / "notarun"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="replaces only a run directory"):
        run_workload([], SimBackend(make_cluster_info(1, 1)), out=other, force=True)
    assert (other / "keep.txt").read_text() == "mine"


@pytest.fixture
def wlgen():
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_the_cli_refuses_a_non_empty_out_with_exit_2(wlgen, tmp_path):
    out = str(tmp_path / "r")
    assert wlgen("storm", "--jobs", "5", "--backend", "sim", "--out", out).exit_code == 0
    again = wlgen("storm", "--jobs", "5", "--backend", "sim", "--out", out)
    assert again.exit_code == 2 and "--out is not empty" in again.stderr
    assert wlgen("storm", "--jobs", "5", "--backend", "sim", "--out", out,
                 "--force").exit_code == 0
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["submitted"] == 5


def _same_bytes(a, b, name):
    return (a / name).read_bytes() == (b / name).read_bytes()


def _swf_less_run_id(path):
    """schedule.swf's header names the run (its id differs per run: not the schedule)."""
    run_id = json.loads((path / "settings.json").read_text())["run_id"]
    return (path / "schedule.swf").read_text().replace(run_id, "RUN")


def _metrics_less_run(path):
    metrics = json.loads((path / "metrics.json").read_text())
    return {k: v for k, v in metrics.items() if k not in ("run_id", "wall_s")}


@pytest.mark.parametrize("command", [
    ["storm", "--jobs", "300", "--rate", "2", "--poisson", "--size", "pow2:1-16",
     "--runtime", "exp:60", "--seed", "7"],
    ["replay", "tests/data/HPC2N-2002-2.2-alea-subset.swf", "--limit", "300",
     "--speedup", "100", "--nodes", "4", "--cpus", "8"],
], ids=["storm", "replay"])
def test_the_same_simulated_command_writes_the_same_bytes(wlgen, tmp_path, command):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert wlgen(*command, "--backend", "sim", "--out", str(out)).exit_code == 0
    assert _same_bytes(a, b, "events.jsonl")
    assert _same_bytes(a, b, "requests.jsonl")
    assert _swf_less_run_id(a) == _swf_less_run_id(b)
    assert _metrics_less_run(a) == _metrics_less_run(b)
    first = json.loads((a / "events.jsonl").read_text().splitlines()[0])
    assert first["time"] >= DEFAULT_SIM_EPOCH


def test_epoch_sets_the_clock_origin(wlgen, tmp_path):
    out = tmp_path / "r"
    assert wlgen("storm", "--jobs", "3", "--backend", "sim", "--epoch", "1000",
                 "--out", str(out)).exit_code == 0
    times = [json.loads(line)["time"] for line in (out / "events.jsonl").open()]
    assert min(times) == 1000.0
    assert json.loads((out / "settings.json").read_text())["epoch"] == 1000.0
    bad = wlgen("storm", "--jobs", "3", "--backend", "sim", "--epoch", "nan",
                "--out", str(tmp_path / "n"))
    assert bad.exit_code == 2 and "--epoch" in bad.stderr


def _ctrl_c_after(monkeypatch, events: int) -> None:
    """SIGINT, as a user's Ctrl-C, once ``events`` events are in events.jsonl."""
    import os
    import signal

    from workload.sinks.jsonl import JsonlSink
    written = JsonlSink.emit

    def emit(self, event):
        written(self, event)
        if self.sent == events:
            os.kill(os.getpid(), signal.SIGINT)
    monkeypatch.setattr(JsonlSink, "emit", emit)


def test_an_interrupted_storm_says_how_many_jobs_it_never_submitted(tmp_path, monkeypatch):
    _ctrl_c_after(monkeypatch, 300)
    result = run_workload(StormSource(1000, rate=1.0, runtime="5", seed=1),
                          SimBackend(make_cluster_info(2, 4)), out=tmp_path / "r",
                          expected=1000)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["stopped_by"] == "interrupt"
    assert metrics["submitted"] + metrics["not_submitted"] == 1000
    assert 0 < metrics["not_submitted"] < 1000


def test_an_interrupted_lenient_replay_reports_the_lines_it_skipped(tmp_path, monkeypatch):
    from workload.sources import TraceSource
    good = "{n} {t} 0 10 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
    lines = [good.format(n=i + 1, t=i) for i in range(400)]
    lines[5:5] = ["1 2 3 garbage\n", "x y z\n"]
    trace = tmp_path / "t.swf"
    trace.write_text("; MaxProcs: 4\n" + "".join(lines))
    _ctrl_c_after(monkeypatch, 200)
    source = TraceSource(trace, strict=False)
    result = run_workload(source, SimBackend(make_cluster_info(1, 4)), out=tmp_path / "r",
                          skipped=lambda: dict(source.skipped))
    assert result.metrics["stopped_by"] == "interrupt"
    assert result.metrics["skipped"] == 2


def test_how_a_run_ended_is_read_back_from_its_directory(tmp_path, monkeypatch):
    from workload.rundir import read_ending
    done = storm_run(tmp_path, "done")
    assert read_ending(done.run_dir) == {"stopped_by": None, "not_submitted": 0}
    _ctrl_c_after(monkeypatch, 10)
    stopped = run_workload(StormSource(30, rate=1.0, runtime="5", seed=2),
                           SimBackend(make_cluster_info(2, 4)), out=tmp_path / "stopped",
                           expected=30)
    ending = read_ending(stopped.run_dir)
    assert ending["stopped_by"] == "interrupt" and 0 < ending["not_submitted"] <= 30
    (stopped.run_dir / "metrics.json").unlink()
    assert "never wrote metrics.json" in read_ending(stopped.run_dir)["stopped_by"]
