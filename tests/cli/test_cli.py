"""The wlgen command line through click's runner: results, messages, exit codes."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from workload.cli.main import cli
from workload.run.metrics import REQUIRED_KEYS



def test_storm_500_on_the_embedded_default(wlgen, tmp_path):
    result = wlgen("storm", "--jobs", "500", "--backend", "sim", "--out", str(tmp_path / "r"),
                   "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert set(REQUIRED_KEYS) <= set(metrics)
    assert metrics["submitted"] == 500 == metrics["completed"]
    assert metrics["unaccounted"] == 0
    for name in ("events.jsonl", "schedule.swf", "metrics.json", "settings.json",
                 "accounting.json"):
        assert (tmp_path / "r" / name).exists(), name
    assert "jobs submitted       500" in result.stderr


def test_auto_backend_says_which_it_uses(wlgen, tmp_path):
    result = wlgen("storm", "--jobs", "3", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0
    assert "wlgen: backend: sim (no Slurm reachable)" in result.stderr


def test_replay_counts_skipped_records(wlgen, tmp_path, hpc2n):
    result = wlgen("replay", str(hpc2n), "--out", str(tmp_path / "r"), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["submitted"] == 3145 and metrics["skipped"] == 25
    assert metrics["skipped_run_time_1_n_a"] == 25
    settings = json.loads((tmp_path / "r" / "settings.json").read_text())
    assert settings["cluster"]["total_cpus"] == 240 and settings["policy"] == "easy"


def test_replay_scales_to_a_given_cluster(wlgen, tmp_path, kth9):
    result = wlgen("replay", str(kth9), "--nodes", "5", "--cpus", "4", "--speedup", "100",
                   "--out", str(tmp_path / "r"), "--json")
    metrics = json.loads(result.stdout)
    assert metrics["completed"] == 9 and metrics["rejected"] == 0
    lines = (tmp_path / "r" / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert max(e["procs"] for e in events) == round(90 * 20 / 100)


def test_generate_then_replay_then_metrics(wlgen, tmp_path):
    trace = tmp_path / "model.swf.gz"
    assert wlgen("generate", "lublin", "--jobs", "300", "--procs", "64", "--seed", "2",
                 "-o", str(trace)).exit_code == 0
    run = wlgen("replay", str(trace), "--out", str(tmp_path / "r"), "--json")
    assert json.loads(run.stdout)["completed"] + json.loads(run.stdout)["timeout"] == 300
    again = wlgen("metrics", str(tmp_path / "r"), "--json")
    assert json.loads(again.stdout)["wait_mean_s"] == pytest.approx(
        json.loads(run.stdout)["wait_mean_s"])
    swf = wlgen("metrics", str(tmp_path / "r" / "schedule.swf"), "--procs", "64", "--json")
    assert json.loads(swf.stdout)["started"] == 300


def test_inspect_prints_header_and_statistics(wlgen, kth9):
    result = wlgen("inspect", str(kth9))
    assert "; Computer: IBM SP2" in result.output and "jobs: 9" in result.output
    stats = json.loads(wlgen("inspect", str(kth9), "--json").stdout)
    assert stats["jobs"] == 9 and stats["max_procs"] == 100 and stats["span_s"] == 8000


def bad_trace(tmp_path):
    path = tmp_path / "bad.swf"
    path.write_text("; MaxProcs: 8\n1 0 1 10 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
                    "2 5 1 oops 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n")
    return path


def test_bad_trace_is_one_clear_line_and_exit_2(wlgen, tmp_path):
    path = bad_trace(tmp_path)
    result = wlgen("replay", str(path), "--out", str(tmp_path / "r"))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"wlgen: error: {path}:3: field run='oops': not a number")
    assert "Traceback" not in result.output


def test_lenient_replay_goes_on_and_counts(wlgen, tmp_path):
    result = wlgen("replay", str(bad_trace(tmp_path)), "--lenient", "--out", str(tmp_path / "r"),
                   "--json")
    metrics = json.loads(result.stdout)
    assert result.exit_code == 0 and metrics["completed"] == 1 and metrics["skipped"] == 1


def test_verbose_shows_the_traceback(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["-v", "replay", str(bad_trace(tmp_path)),
                                 "--out", str(tmp_path / "r")])
    assert result.exit_code == 2                      # -v shows more, exits the same
    assert "Traceback" in result.stderr and "workload.errors.InputError" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["storm", "--size", "0"], "'--size': '0': needs 0 < LOW <= HIGH"),
    (["storm", "--rate", "-1"], "'--rate': '-1' must be > 0"),
    (["storm", "--poisson"], "'--poisson': True: a Poisson storm needs a rate"),
    (["replay", "missing.swf"], "missing.swf: cannot read"),
    (["replay", "/dev/null", "--from", "10", "--to", "5"], "'--to': 5.0: must be after"),
])
def test_usage_errors_exit_2_with_the_rule(wlgen, args, message):
    result = wlgen(*args, "--backend", "sim")
    assert result.exit_code == 2
    assert message in result.stderr


def test_unknown_option_is_a_usage_error(wlgen):
    result = wlgen("storm", "--jbos", "3")
    assert result.exit_code == 2 and "No such option" in result.stderr


def _every_command(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()):
    """Every command and subcommand under ``group`` (its groups included), by name path."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _every_command(command, ctx, (*path, name))


def test_every_command_has_an_example_in_help(wlgen):
    commands = list(_every_command(cli, click.Context(cli)))
    assert ("cluster", "up") in commands and ("events", "tail") in commands  # it does walk
    missing = [" ".join(c) for c in commands if "Example" not in wlgen(*c, "--help").output]
    assert missing == []


def test_user_map_renames_users_and_sets_accounts(wlgen, tmp_path, kth9):
    mapping = tmp_path / "users.yaml"
    mapping.write_text("users: {u17: alice}\naccounts: {alice: physics}\n")
    result = wlgen("replay", str(kth9), "--user-map", str(mapping), "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "r" / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert {e["user"] for e in events} == {"alice"}


def test_bad_user_map_names_the_key(wlgen, tmp_path, kth9):
    mapping = tmp_path / "users.yaml"
    mapping.write_text("users: [u1, u2]\n")
    result = wlgen("replay", str(kth9), "--user-map", str(mapping), "--out", str(tmp_path / "r"))
    assert result.exit_code == 2 and "field users=" in result.stderr


def test_realtime_runs_report_submit_latency_and_error(wlgen, tmp_path):
    result = wlgen("storm", "--jobs", "10", "--rate", "20", "--runtime", "0.2", "--realtime",
                   "--backend", "sim", "--out", str(tmp_path / "r"), "--json")
    metrics = json.loads(result.stdout)
    assert metrics["completed"] == 10
    assert 0 <= metrics["submit_error_p99_s"] < 0.5 and metrics["submit_latency_p50_s"] >= 0


def test_progress_draws_only_on_a_terminal():
    import io
    from workload.cli.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen, pipe = Terminal(), io.StringIO()
    for stream in (screen, pipe):
        progress = Progress(100, stream=stream, every_s=0)
        progress(50, 60)
        progress.close()
    assert "50/100 jobs ended, 60 submitted" in screen.getvalue()
    assert pipe.getvalue() == ""
