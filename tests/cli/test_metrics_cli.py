"""`wlgen metrics RUN_DIR` and the run summary: what a person reads about a run's input
and its ending (issue 14: bad input 5 and 17)."""

from __future__ import annotations

import json
from pathlib import Path

SWF = "{n} {t} 0 10 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n"


def _trace(tmp_path: Path, *extra: str) -> Path:
    path = tmp_path / "t.swf"
    path.write_text("; MaxProcs: 4\n" + SWF.format(n=1, t=0) + "".join(extra))
    return path


def test_the_summary_shows_each_skip_reason_as_its_rule_is_written(wlgen, tmp_path):
    no_run_time = "2 5 0 -1 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
    zero_procs = "3 6 0 10 0 -1 -1 0 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
    result = wlgen("replay", str(_trace(tmp_path, no_run_time, zero_procs)), "--backend",
                   "sim", "--out", str(tmp_path / "r"), "--json")
    assert result.exit_code == 0, result.output
    assert "skipped: run time -1 (n/a): 1" in result.stderr
    assert "skipped: 0 processors: 1" in result.stderr
    assert "n a" not in result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["skip_reasons"] == {"run time -1 (n/a)": 1, "0 processors": 1}
    assert metrics["skipped_run_time_1_n_a"] == 1      # the flat key a check can bound
    again = wlgen("metrics", str(tmp_path / "r"))
    assert "skipped: run time -1 (n/a): 1" in again.stderr


def test_metrics_of_a_binary_events_file_names_the_file_and_line(wlgen, tmp_path):
    out = tmp_path / "r"
    assert wlgen("storm", "--jobs", "3", "--backend", "sim", "--out", str(out)).exit_code == 0
    events = out / "events.jsonl"
    first = events.read_bytes().splitlines(keepends=True)[0]
    events.write_bytes(first + b"\xff\xfe\x00garbage\n")
    result = wlgen("metrics", str(out))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        f"wlgen: error: {events}:2: not a UTF-8 text file: "
        "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"]


def test_metrics_of_a_run_stopped_by_an_input_error_says_so(wlgen, tmp_path):
    bad = "3 9 0 ten 1 -1 -1 1 20 -1 1 1 1 -1 -1 -1 -1 -1\n"
    out = tmp_path / "r"
    stopped = wlgen("replay", str(_trace(tmp_path, SWF.format(n=2, t=5), bad)),
                    "--backend", "sim", "--out", str(out))
    assert stopped.exit_code == 2
    result = wlgen("metrics", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert "stopped by           input error: " in result.stderr
    assert "t.swf:4" in result.stderr
    assert json.loads(result.stdout)["stopped_by"] == "input error"


def test_metrics_of_a_run_that_never_wrote_its_metrics_says_so(wlgen, tmp_path):
    out = tmp_path / "r"
    assert wlgen("storm", "--jobs", "3", "--backend", "sim", "--out", str(out)).exit_code == 0
    (out / "metrics.json").unlink()
    result = wlgen("metrics", str(out))
    assert result.exit_code == 0, result.output
    assert "stopped by           the run never wrote metrics.json" in result.stderr
    assert "never submitted" not in result.stderr


def test_metrics_of_a_clean_run_says_nothing_of_stopping(wlgen, tmp_path):
    out = tmp_path / "r"
    assert wlgen("storm", "--jobs", "3", "--backend", "sim", "--out", str(out)).exit_code == 0
    assert "stopped by" not in wlgen("metrics", str(out)).stderr
