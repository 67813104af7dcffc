"""wlgen check: any run directory (storm, replay, scenario) is checked; a doctored one
fails naming the job; a directory that is not a run's is a usage error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workload.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def wlgen():
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def made(wlgen, *args) -> None:
    result = wlgen(*args)
    assert result.exit_code == 0, result.output


def verdicts(result) -> dict[str, str]:
    return {c["name"]: c["status"] for c in json.loads(result.stdout)["checks"]}


def test_a_storm_run_directory_passes(wlgen, tmp_path):
    out = str(tmp_path / "storm")
    made(wlgen, "storm", "--jobs", "60", "--backend", "sim", "--nodes", "2", "--cpus", "4",
         "--out", out)
    done = wlgen("check", out, "--json")
    assert done.exit_code == 0, done.output
    assert verdicts(done) == {"no_overcommit": "pass", "dependencies": "n/a",
                              "started_after_submit": "pass", "within_time_limit": "pass",
                              "priority_order": "pass", "all_accounted": "pass",
                              "run_complete": "pass"}


def test_a_replay_run_directory_passes(wlgen, tmp_path):
    out = str(tmp_path / "replay")
    made(wlgen, "replay", str(ROOT / "tests/data/HPC2N-2002-2.2-alea-subset.swf"),
         "--limit", "200", "--speedup", "600", "--backend", "sim", "--out", out)
    done = wlgen("check", out, "--invariant", "within_time_limit", "--invariant",
                 "dependencies", "--json")
    assert done.exit_code == 0, done.output
    assert verdicts(done) == {"within_time_limit": "pass", "dependencies": "n/a"}


def test_a_scenario_run_directory_is_checked_with_its_own_checks(wlgen, tmp_path):
    out = str(tmp_path / "scenario")
    made(wlgen, "run", str(ROOT / "scenarios/backfill-vs-builtin.yaml"), "--set",
         "workload.jobs=60", "--out", out)
    done = wlgen("check", out, "--json")
    assert done.exit_code == 0, done.output
    names = set(verdicts(done))
    assert "easy_reservation" in names and "metrics" in names and "run_complete" in names
    assert all(status != "fail" for status in verdicts(done).values())


def test_a_doctored_run_directory_fails_naming_the_job(wlgen, tmp_path):
    out = tmp_path / "storm"
    made(wlgen, "storm", "--jobs", "20", "--runtime", "30", "--backend", "sim",
         "--out", str(out))
    requests = out / "requests.jsonl"
    lines = [json.loads(line) for line in requests.read_text().splitlines()]
    lines[4]["time_limit_s"] = 10.0          # job 4 now "ran past" its limit
    requests.write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = wlgen("check", str(out), "--invariant", "within_time_limit")
    assert done.exit_code == 1
    assert "FAIL within_time_limit" in done.stderr and "seq=4" in done.stderr


def test_a_run_stopped_by_an_input_error_fails_run_complete(wlgen, tmp_path):
    trace = tmp_path / "t.swf"
    good = "1 0 0 10 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
    trace.write_text("; MaxProcs: 4\n" + good + good.replace("1 0 0", "2 5 0", 1)
                     + "3 9 0 ten 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n")
    out = str(tmp_path / "r")
    stopped = wlgen("replay", str(trace), "--backend", "sim", "--out", out)
    assert stopped.exit_code == 2 and "t.swf:4" in stopped.stderr
    done = wlgen("check", out)
    assert done.exit_code == 1
    assert "the run was stopped by input error" in done.stderr
    assert "FAIL run_complete" in done.stderr


def test_not_a_run_directory_exits_2_with_one_line(wlgen, tmp_path):
    done = wlgen("check", str(tmp_path))
    assert done.exit_code == 2
    assert done.stderr.strip() == (f"wlgen: error: {tmp_path}: no events.jsonl here: "
                                   "not a wlgen run directory")
    missing = wlgen("check", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and "no such directory" in missing.stderr
