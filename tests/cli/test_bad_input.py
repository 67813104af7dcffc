"""The bad-input probe of issue 14, as tests: every hostile or meaningless input is one
line naming what is wrong, exit 2, and never a traceback, a hang or a silent surprise."""

from __future__ import annotations

import gzip
import json
import logging
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from workload.cli.main import cli
from workload.sources import StormSource

GOOD = "{n} {t} 0 10 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n"



def one_line_exit_2(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr


def trace(tmp_path: Path, body: str, header: str = "; MaxProcs: 4\n", name="t.swf") -> Path:
    path = tmp_path / name
    path.write_text(header + body)
    return path


def metrics_of(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- 1: a trace from a pipe ---------------------------------------------------------------
def test_a_trace_from_a_fifo_replays_every_job_once(wlgen, tmp_path, hpc2n):
    fifo = tmp_path / "trace.fifo"
    os.mkfifo(fifo)
    data = hpc2n.read_bytes()
    writer = threading.Thread(target=lambda: fifo.write_bytes(data), daemon=True)
    writer.start()
    done = threading.Event()
    threading.Thread(target=_unblock_readers, args=(fifo, done), daemon=True).start()
    try:
        piped = metrics_of(wlgen("replay", str(fifo), "--nodes", "8", "--cpus", "32",
                                 "--backend", "sim", "--out", str(tmp_path / "p"), "--json"))
    finally:
        done.set()
    writer.join(timeout=30)
    direct = metrics_of(wlgen("replay", str(hpc2n), "--nodes", "8", "--cpus", "32",
                              "--backend", "sim", "--out", str(tmp_path / "d"), "--json"))
    lines = sum(1 for line in data.decode().splitlines()
                if line.strip() and not line.startswith(";"))
    assert piped["submitted"] == direct["submitted"] == 3145
    assert piped["submitted"] + piped["skipped"] == lines


def _unblock_readers(fifo: Path, done: threading.Event) -> None:
    """Bound the test: a second open() of a drained FIFO (the bug) waits for a writer
    forever; after 30 s, give it one that writes nothing, so it reads EOF and the counts
    show the loss instead of the test hanging."""
    if done.wait(30):
        return
    while not done.is_set():
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass    # no reader waiting right now
        done.wait(0.5)


# -- 5: undecodable or broken input -------------------------------------------------------
@pytest.mark.parametrize("name, data, needle", [
    ("t.swf", b"; MaxProcs: 4\n1 0 \xe9\n", "t.swf:2: field line='1 0 \xe9': not UTF-8 text"),
    ("t.swf.gz", b"; MaxProcs: 4\n", "t.swf.gz:1: cannot read trace: Not a gzipped file"),
    ("t.swf.gz", gzip.compress(b"; MaxProcs: 4\n" + GOOD.format(n=1, t=0).encode() * 99)[:70],
     "t.swf.gz:"),
])
def test_a_broken_trace_is_one_line_and_exit_2(wlgen, tmp_path, name, data, needle):
    path = tmp_path / name
    path.write_bytes(data)
    result = wlgen("replay", str(path), "--backend", "sim", "--out", str(tmp_path / "r"))
    one_line_exit_2(result, needle)
    assert "Aborted" not in result.output


def test_a_binary_events_file_is_one_line_and_exit_2(wlgen, tmp_path):
    (tmp_path / "events.jsonl").write_bytes(b'{"kind": "submit"}\n\xff\xfe\x00garbage\n')
    (tmp_path / "metrics.json").write_text("{}")
    result = wlgen("events", "tail", str(tmp_path), "--until-done")
    one_line_exit_2(result, "events.jsonl:1: ")


def test_a_latin1_scenario_names_its_line(wlgen, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"workload: {kind: storm, jobs: 3}\nname: caf\xe9\n")
    one_line_exit_2(wlgen("run", str(path)), "s.yaml:2: not UTF-8 text")


# -- 7: YAML ------------------------------------------------------------------------------
def alias_bomb(levels: int = 9) -> str:
    lines = ['  - &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "description:\n" + "\n".join(lines) + "\nworkload: {kind: storm, jobs: 3}\n"


@pytest.mark.parametrize("text, needle", [
    (alias_bomb(), "field description=[['x', 'x'"),                    # 9**9 strings, capped
    ("workload: " + "[" * 5000 + "\n", "nested more than 100 levels deep"),
    ("workload: {kind: storm, jobs: " + "9" * 5000 + "}\n", "4300 digits"),
    ("workload: {kind: storm, jobs: 3}\nworkload: {kind: storm, jobs: 4}\n",
     "s.yaml:2: not valid scenario: duplicate key 'workload'"),
    ("workload: {kind: storm, jobs: 3, jobs: 4}\n", "duplicate key 'jobs'"),
])
def test_hostile_yaml_is_one_short_line(wlgen, tmp_path, text, needle):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    result = wlgen("run", str(path), "--out", str(tmp_path / "r"))
    one_line_exit_2(result, needle)
    assert len(result.stderr) < 400


def test_a_set_value_with_a_duplicate_key_is_refused(wlgen, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("workload: {kind: storm, jobs: 3}\n")
    one_line_exit_2(wlgen("run", str(path), "--set", "cluster={nodes: 2, nodes: 3}"),
                    "duplicate key 'nodes'")


# -- 8: header sizes ----------------------------------------------------------------------
@pytest.mark.parametrize("value, rule", [
    ("inf", "must be a whole number"), ("1e400", "must be a whole number"),
    ("-5", "must be between 1 and"), ("1000000000000", "must be between 1 and"),
])
def test_maxprocs_is_checked_and_named(wlgen, tmp_path, value, rule):
    path = trace(tmp_path, GOOD.format(n=1, t=0), header=f"; MaxProcs: {value}\n")
    result = wlgen("replay", str(path), "--backend", "sim", "--out", str(tmp_path / "r"))
    one_line_exit_2(result, f"field MaxProcs='{value}': {rule}")
    assert "--nodes" not in result.stderr
    one_line_exit_2(wlgen("inspect", str(path)), "MaxProcs")          # no negative load


def test_a_trace_too_big_to_simulate_node_per_processor_asks_for_a_shape(wlgen, tmp_path):
    path = trace(tmp_path, GOOD.format(n=1, t=0), header="; MaxProcs: 200000\n")
    one_line_exit_2(wlgen("replay", str(path), "--backend", "sim"), "give --nodes and --cpus")
    done = wlgen("replay", str(path), "--nodes", "2", "--cpus", "4", "--backend", "sim",
                 "--out", str(tmp_path / "r"), "--json")
    assert metrics_of(done)["completed"] == 1


@pytest.mark.parametrize("args", [["--nodes", str(10**12)], ["--cpus", str(10**9)]])
def test_cluster_shape_options_are_bounded(wlgen, args):
    one_line_exit_2(wlgen("storm", "--jobs", "1", *args, "--backend", "sim"), "range")


def test_scenario_cluster_nodes_are_bounded(wlgen, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("cluster: {nodes: 1000000000000}\nworkload: {kind: storm, jobs: 3}\n")
    one_line_exit_2(wlgen("run", str(path)), "field cluster.nodes=1000000000000: must be <=")


# -- 9: meaningless values ----------------------------------------------------------------
@pytest.mark.parametrize("args, option", [
    (["replay", "T", "--speedup", "nan"], "--speedup"),
    (["replay", "T", "--speedup", "inf"], "--speedup"),
    (["replay", "T", "--load", "nan"], "--load"),
    (["replay", "T", "--from", "nan"], "--from"),
    (["replay", "T", "--to", "inf"], "--to"),
    (["replay", "T", "--max-runtime", "inf"], "--max-runtime"),
    (["replay", "T", "--max-runtime", "0"], "--max-runtime"),
    (["storm", "--rate", "nan"], "--rate"),
    (["storm", "--rate", "inf"], "--rate"),
    (["storm", "--time-limit", "nan"], "--time-limit"),
    (["storm", "--time-limit", "0"], "--time-limit"),
    (["storm", "--time-limit", "-5"], "--time-limit"),
    (["storm", "--seed", "-1"], "--seed"),
    (["generate", "lublin", "--seed", "-1", "-o", "x.swf"], "--seed"),
    (["generate", "lublin", "--max-estimate", "nan", "-o", "x.swf"], "--max-estimate"),
])
def test_meaningless_numbers_are_usage_errors(wlgen, kth9, args, option):
    args = [str(kth9) if a == "T" else a for a in args]
    extra = ["--backend", "sim"] if args[0] != "generate" else []
    one_line_exit_2(wlgen(*args, *extra), f"Invalid value for '{option}'")


@pytest.mark.parametrize("key, value", [("time_limit_s", "0"), ("rate", "0"), ("seed", "-1"),
                                        ("size", "'1-x'")])
def test_scenario_values_are_checked_at_their_key_path(wlgen, tmp_path, key, value):
    path = tmp_path / "s.yaml"
    path.write_text(f"workload: {{kind: storm, jobs: 3, {key}: {value}}}\n")
    result = wlgen("run", str(path), "--out", str(tmp_path / "r"))
    one_line_exit_2(result, f"s.yaml: field workload.{key}=")
    assert "--" not in result.stderr.split("field", 1)[1]      # names the key, not a flag
    assert not (tmp_path / "r").exists()


def test_a_storm_has_no_more_users_than_jobs():
    assert StormSource(3, users=10**9).user_names() == ["u1", "u2", "u3"]


# -- 10: unwritable outputs ---------------------------------------------------------------
@pytest.mark.parametrize("where", ["/proc/wlgen-x", "FILE/sub"])
def test_an_unwritable_out_is_a_usage_error(wlgen, tmp_path, where):
    (tmp_path / "file").write_text("x")
    out = where.replace("FILE", str(tmp_path / "file"))
    one_line_exit_2(wlgen("storm", "--jobs", "1", "--backend", "sim", "--out", out),
                    "Invalid value for '--out'")


def test_an_unwritable_generate_output_is_one_line(wlgen, tmp_path):
    (tmp_path / "file").write_text("x")
    out = str(tmp_path / "file" / "t.swf")
    one_line_exit_2(wlgen("generate", "lublin", "--jobs", "5", "-o", out),
                    f"{out}: cannot write: Not a directory")


# -- 11: submit order and size ------------------------------------------------------------
def reversed_trace(tmp_path: Path) -> Path:
    return trace(tmp_path, "".join(GOOD.format(n=i + 1, t=100 - 10 * i) for i in range(3)))


def test_out_of_order_submits_are_refused_with_line_and_field(wlgen, tmp_path):
    result = wlgen("replay", str(reversed_trace(tmp_path)), "--backend", "sim",
                   "--out", str(tmp_path / "r"))
    one_line_exit_2(result, "t.swf:3: field submit='90': before the previous job's (100)")


def test_out_of_order_submits_are_counted_when_lenient(wlgen, tmp_path):
    metrics = metrics_of(wlgen("replay", str(reversed_trace(tmp_path)), "--lenient",
                               "--backend", "sim", "--out", str(tmp_path / "r"), "--json"))
    assert metrics["submitted"] == 1 and metrics["skipped"] == 2
    assert [k for k in metrics if k.startswith("skipped_")] == [
        "skipped_submit_time_before_the_previous_job_s"]


def test_a_submit_time_of_1e30_is_refused(wlgen, tmp_path):
    path = trace(tmp_path, GOOD.format(n=1, t=0) + GOOD.format(n=2, t="1e30"))
    one_line_exit_2(wlgen("replay", str(path), "--backend", "sim"),
                    "t.swf:3: field submit='1e30': must be <= 1e+10")


# -- 12: --offset -------------------------------------------------------------------------
def test_offset_jobs_are_counted_as_skipped(wlgen, tmp_path, kth9):
    metrics = metrics_of(wlgen("replay", str(kth9), "--offset", "4", "--backend", "sim",
                               "--out", str(tmp_path / "r"), "--json"))
    assert metrics["submitted"] == 5 and metrics["skipped_before_offset"] == 4
    assert metrics["submitted"] + metrics["skipped"] == 9


def test_an_offset_past_the_end_warns(wlgen, tmp_path, kth9, caplog):
    with caplog.at_level(logging.WARNING):
        metrics = metrics_of(wlgen("replay", str(kth9), "--offset", "50", "--backend", "sim",
                                   "--out", str(tmp_path / "r"), "--json"))
    assert metrics["submitted"] == 0 and metrics["skipped_before_offset"] == 9
    assert [r.getMessage() for r in caplog.records if "--offset" in r.getMessage()] == [
        f"{kth9}: --offset 50 is past the end of the trace (9 usable jobs): nothing to replay"]


# -- 13: scenario validation --------------------------------------------------------------
def scenario(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text("workload: {kind: storm, jobs: 3}\n" + text)
    return str(path)


def test_a_misspelt_metric_fails_before_the_run(wlgen, tmp_path):
    result = wlgen("run", scenario(tmp_path, "checks: {metrics: {complted: {min: 1}}}\n"),
                   "--out", str(tmp_path / "r"))
    one_line_exit_2(result, "field checks.metrics.complted=", "did you mean completed?")
    assert not (tmp_path / "r").exists()


def test_a_skipped_reason_metric_is_a_known_metric(wlgen, tmp_path):
    result = wlgen("run", scenario(tmp_path, "checks: {metrics: {skipped_x: {eq: 0}}}\n"),
                   "--out", str(tmp_path / "r"))
    assert result.exit_code in (0, 1), result.output


def test_a_negative_tolerance_is_refused(wlgen, tmp_path):
    text = "checks: {invariants: [no_overcommit: {tolerance_s: -1}]}\n"
    one_line_exit_2(wlgen("run", scenario(tmp_path, text)),
                    "checks.invariants.0.no_overcommit.tolerance_s=-1: must be >= 0")


def test_a_fault_the_simulator_cannot_run_is_refused_without_a_skip_note(wlgen, tmp_path):
    result = wlgen("run", scenario(tmp_path, "faults: [{at_s: 1, action: link_down, "
                                             "link: n1}]\n"))
    one_line_exit_2(result, "field faults.0='link_down'", "add 'on_sim: skip'")
    assert "skipped on the simulator" not in result.stderr


def test_a_fabric_nothing_builds_is_refused(wlgen, tmp_path):
    result = wlgen("run", scenario(tmp_path, "cluster: {fabric: {topology: dragonfly}}\n"))
    one_line_exit_2(result, "cluster.fabric.topology='dragonfly': dragonfly is not built yet")


# -- 16, 17, 18 ---------------------------------------------------------------------------
def test_verbose_keeps_the_exit_code_of_an_input_error(tmp_path):
    result = CliRunner().invoke(cli, ["-v", "replay", str(reversed_trace(tmp_path)),
                                      "--backend", "sim", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "Traceback" in result.stderr


def test_zero_processors_are_counted_as_zero_processors(wlgen, tmp_path):
    zero = "2 5 0 10 0 -1 -1 0 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
    path = trace(tmp_path, GOOD.format(n=1, t=0) + zero)
    metrics = metrics_of(wlgen("replay", str(path), "--backend", "sim",
                               "--out", str(tmp_path / "r"), "--json"))
    assert metrics["skipped_0_processors"] == 1 and "skipped_processors_1_n_a" not in metrics


def test_inspect_counts_zero_processors_as_such_and_shows_no_negative_load(wlgen, tmp_path):
    zero = "2 5 0 10 0 -1 -1 0 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
    unknown = "3 6 0 10 -1 -1 -1 -1 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
    path = trace(tmp_path, GOOD.format(n=1, t=0) + zero + unknown + GOOD.format(n=4, t=9))
    stats = metrics_of(wlgen("inspect", str(path), "--json"))
    assert stats["unusable"] == {"0 processors": 1, "processors -1 (n/a)": 1}
    assert stats["jobs"] == 2 and stats["load"] > 0


def test_an_all_at_once_storm_is_bounded(wlgen):
    one_line_exit_2(wlgen("storm", "--jobs", str(10**9), "--backend", "sim"),
                    "at most 1,000,000 jobs; give a rate")


def test_a_storm_at_a_rate_is_not_bounded_by_the_all_at_once_limit():
    assert StormSource(10**9, rate=100.0).jobs == 10**9          # it streams
