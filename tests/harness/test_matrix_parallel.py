"""wlgen matrix -j N: the same runs and comparison as -j 1, nothing lost on errors or Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from workload.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
LUBLIN = ROOT / "tests" / "data" / "lublin_256.swf"
FOUR = ["--vary", "slurm.SchedulerType=sched/backfill,sched/builtin",
        "--vary", "cluster.nodes=[2, 4]", "--set", "workload.jobs=60"]


@pytest.fixture
def wlgen():
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_j2_writes_the_same_runs_and_comparison_as_j1(wlgen, tmp_path):
    scenario = str(SCENARIOS / "backfill-vs-builtin.yaml")
    one = wlgen("matrix", scenario, *FOUR, "--out", str(tmp_path / "j1"))
    two = wlgen("matrix", scenario, *FOUR, "--out", str(tmp_path / "j2"), "-j", "2")
    assert one.exit_code == two.exit_code == 0, two.stderr
    assert two.stdout == one.stdout and "sched/builtin,nodes=4" in one.stdout
    dirs = sorted(p.name for p in (tmp_path / "j1").iterdir())
    assert dirs == sorted(p.name for p in (tmp_path / "j2").iterdir()) and len(dirs) == 4
    for name in dirs:
        a, b = tmp_path / "j1" / name, tmp_path / "j2" / name
        assert (a / "events.jsonl").read_bytes() == (b / "events.jsonl").read_bytes(), name
        assert _metrics(a) == _metrics(b), name
        assert (a / "checks.json").read_bytes() == (b / "checks.json").read_bytes(), name


def _metrics(run: Path) -> dict[str, object]:
    """metrics.json less what differs between any two runs (their id and wall time)."""
    data = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in data.items() if k not in ("run_id", "wall_s")}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_variant_that_raises_is_reported_with_its_error_and_the_rest_compared(
        wlgen, tmp_path, jobs):
    # A trace whose 61st record is broken: validation reads the scenario, not the whole
    # trace, so only the variant that replays that far meets it, mid-run.
    records = [ln for ln in LUBLIN.read_text().splitlines() if not ln.startswith(";")]
    (tmp_path / "t.swf").write_text("\n".join([*records[:60], "61 x 1 2 3", *records[61:80]])
                                    + "\n")
    (tmp_path / "s.yaml").write_text(
        "name: broken-trace\ncluster: {nodes: 4, cpus: 64}\n"
        "workload: {kind: replay, trace: t.swf}\n"
        "checks: {invariants: [no_overcommit, all_accounted]}\n")
    result = wlgen("matrix", str(tmp_path / "s.yaml"), "--vary", "workload.jobs=[20, 70, 30]",
                   "--out", str(tmp_path / "out"), "-j", jobs, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(v["label"], v["status"]) for v in data["variants"]] == [
        ("jobs=20", "passed"), ("jobs=70", "ERROR"), ("jobs=30", "passed")]
    broken = data["variants"][1]
    assert broken["passed"] is False and "t.swf:61" in broken["error"]
    assert "SWF needs 18" in broken["error"]
    assert data["comparison"]["runs"] == ["jobs=20", "jobs=30"]
    assert "variant jobs=70 ERROR" in result.stderr


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_bad_j_exits_2(wlgen, tmp_path, bad):
    result = wlgen("matrix", str(SCENARIOS / "storm-500.yaml"), "--vary", "cluster.nodes=4,8",
                   "--out", str(tmp_path / "o"), "-j", bad)
    assert result.exit_code == 2 and "-j" in result.stderr
    assert not (tmp_path / "o").exists()


def test_j_on_slurm_is_refused_before_any_cluster(wlgen, tmp_path):
    result = wlgen("matrix", str(SCENARIOS / "storm-500.yaml"), "--vary", "cluster.nodes=4,8",
                   "--backend", "slurm", "--out", str(tmp_path / "o"), "-j", "2")
    assert result.exit_code == 2
    assert "simulator variants only" in result.stderr and "fresh cluster" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_cancels_what_has_not_started_and_compares_what_finished(tmp_path, jobs):
    labels = [f"seed={s}" for s in range(8)]
    err_path = tmp_path / "stderr"
    with err_path.open("w") as err:
        # Its own session: SIGINT to the group is what a terminal's Ctrl-C does.
        proc = subprocess.Popen(
            [sys.executable, "-m", "workload.cli.main", "matrix",
             str(SCENARIOS / "backfill-vs-builtin.yaml"), "--vary", "workload.seed=0,1,2,3,4,5,6,7",
             "--out", str(tmp_path / "o"), "-j", jobs, "--json"],
            stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True,
            preexec_fn=_default_sigint)
        try:
            first = _first_line_with(err_path, "wlgen: variant ", proc, time.monotonic() + 300)
            os.killpg(proc.pid, signal.SIGINT)
            stdout, _ = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err_path.read_text()
    data = json.loads(stdout)
    status = {v["label"]: v["status"] for v in data["variants"]}
    assert list(status) == labels            # every variant accounted for, in order
    assert "cancelled" in status.values() and status[first.split()[2]] in ("passed", "FAILED")
    finished = [label for label in labels if status[label] != "cancelled"]
    assert data["comparison"]["runs"] == finished
    for v in data["variants"]:
        assert Path(v["run_dir"]).exists() == (v["status"] != "cancelled"), v
        assert f"variant {v['label']} {v['status']}" in err_path.read_text()


def _default_sigint() -> None:
    """Whoever started pytest may ignore SIGINT (a background job): wlgen would inherit it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _first_line_with(path: Path, text: str, proc: subprocess.Popen[str],
                     deadline: float) -> str:
    """The first line of ``path`` holding ``text``, waiting (bounded) for it to appear."""
    while time.monotonic() < deadline and proc.poll() is None:
        found = [ln for ln in path.read_text().splitlines() if text in ln]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no line with {text!r} in {path}: {path.read_text()[-500:]}")


def test_a_killed_worker_loses_no_variant(tmp_path):
    """SIGKILL to a worker (as the OOM killer would) breaks the pool: the variants it
    held and those not yet run are reported ERROR, the finished ones kept."""
    err_path = tmp_path / "stderr"
    with err_path.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workload.cli.main", "matrix",
             str(SCENARIOS / "backfill-vs-builtin.yaml"), "--vary", "workload.seed=0,1,2,3,4,5",
             "--out", str(tmp_path / "o"), "-j", "2", "--json"],
            stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            worker = _a_worker_of(proc, deadline=time.monotonic() + 120)
            os.kill(worker, signal.SIGKILL)
            stdout, _ = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1, err_path.read_text()
    variants = json.loads(stdout)["variants"]
    assert [v["label"] for v in variants] == [f"seed={s}" for s in range(6)]
    broken = [v for v in variants if v["status"] == "ERROR"]
    assert broken and all("BrokenProcessPool" in v["error"] for v in broken)
    assert {v["status"] for v in variants} <= {"passed", "FAILED", "ERROR"}


def test_a_given_up_pool_is_closed_without_waiting_for_its_workers():
    """A broken pool's worker that nobody told to stop (CPython 3.11: one spawned by a
    submit racing the breakdown) made `matrix -j 2` hang in shutdown: _close kills the
    workers of a given-up pool instead of joining them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from workload.scenario import sweep
    from workload.cluster import wait_for
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    stuck = pool.submit(time.sleep, 600)     # a worker that would outlive any wait
    workers = set(multiprocessing.active_children()) - before
    wait_for(stuck.running, 60, "the call handed to the worker")   # not cancellable now
    sweep._close(pool, before, abandon=True)
    # Gone (or a zombie): judged from /proc, as the pool's own thread may be the one
    # that reaped it (then this thread's Process object never learns its exit code).
    assert workers and all(_dead(worker.pid) for worker in workers)
    assert isinstance(stuck.exception(timeout=60), BrokenProcessPool)


def _dead(pid: int | None) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _a_worker_of(proc: subprocess.Popen[str], deadline: float) -> int:
    """The pid of a pool worker of ``proc`` (a spawned child running the worker loop)."""
    while time.monotonic() < deadline and proc.poll() is None:
        for child in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                return int(child)
        time.sleep(0.05)
    raise AssertionError("no pool worker appeared")


def test_a_ctrl_c_between_two_runs_cancels_the_next_one(tmp_path, monkeypatch):
    # -j 1: the Ctrl-C lands after one variant ended, before the next one made its
    # directory. That variant never started: cancelled, not "interrupted".
    from workload.scenario import sweep
    variants = [sweep.Variant(f"seed={i}", None, tmp_path / f"v{i}") for i in range(3)]

    def run_variant(variant, backend, cluster):
        variant.out.mkdir()
        return sweep.VariantOutcome(variant.label, variant.out, "passed")

    told = []

    def ctrl_c_after_the_first(outcome):
        told.append(outcome.status)
        if len(told) == 1:
            raise KeyboardInterrupt
    monkeypatch.setattr(sweep, "run_variant", run_variant)
    outcomes = sweep._in_process(variants, "sim", "", ctrl_c_after_the_first)
    assert [o.status for o in outcomes] == ["passed", "cancelled", "cancelled"]
    assert told == ["passed"]                   # the cancelled are told by the caller
