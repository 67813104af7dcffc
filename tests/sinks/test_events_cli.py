"""`wlgen events tail`: follows a growing events.jsonl, stops when metrics.json appears."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from workload.cli.main import cli
from workload.sinks.synthetic import job_events


def write_run(run_dir: Path, events: list, pause_s: float) -> None:
    """Write half the events, pause, the rest, then metrics.json: a run finishing."""
    with open(run_dir / "events.jsonl", "w") as out:
        for i, event in enumerate(events):
            out.write(event.to_json() + "\n")
            out.flush()
            if i == len(events) // 2:
                time.sleep(pause_s)
    (run_dir / "metrics.json").write_text("{}")


def tail(run_dir: Path, *options: str) -> list[str]:
    events = list(job_events(4, 1.7e9))
    writer = threading.Thread(target=write_run, args=(run_dir, events, 0.3))
    writer.start()
    result = CliRunner().invoke(cli, ["events", "tail", str(run_dir), "--until-done",
                                      "--poll", "0.05", *options])
    writer.join()
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_tail_prints_one_readable_line_per_event(tmp_path: Path) -> None:
    lines = tail(tmp_path)
    assert len(lines) == 12
    assert lines[2].split() == ["2023-11-14T22:13:20.020Z", "#2", "job", "1000", "end",
                                "COMPLETED", "user0@batch", "n0", "exit=0"]


def test_tail_json_prints_the_raw_lines(tmp_path: Path) -> None:
    lines = tail(tmp_path, "--json")
    assert [json.loads(line)["seq"] for line in lines] == list(range(12))


def test_tail_reports_a_bad_line_with_its_number(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text('{"kind": "submit"}\n')
    (tmp_path / "metrics.json").write_text("{}")
    result = CliRunner().invoke(cli, ["events", "tail", str(tmp_path), "--until-done"])
    assert result.exit_code == 2
    assert "events.jsonl:1: not a lifecycle event" in result.output


def test_an_undecodable_line_far_into_the_file_is_named_by_its_own_number(tmp_path):
    # 300 good lines (well past a text reader's 8 KB read-ahead), then a Latin-1 byte.
    good = [event.to_json() for event in job_events(100, 1.7e9)]
    (tmp_path / "events.jsonl").write_bytes(
        ("\n".join(good) + "\n").encode() + b'{"user": "ren\xe9"}\n')
    (tmp_path / "metrics.json").write_text("{}")
    result = CliRunner().invoke(cli, ["events", "tail", str(tmp_path), "--until-done"])
    assert result.exit_code == 2
    assert len(good) == 300 and "events.jsonl:301: not UTF-8 text" in result.output
