"""`wlgen convert`: wlgen-jobs round-trips every field; SWF says what it dropped."""

from __future__ import annotations

import json

import pytest
from workload.errors import InputError
from workload.sources import TraceSource
from workload.sources.jsonl import JsonlSource
from workload.sources.sacct import SacctSource, sniff

from tests.sources.conftest import RELEASES, dump


@pytest.mark.parametrize("release", RELEASES)
def test_jsonl_gives_back_the_same_specs(wlgen, tmp_path, release):
    path = dump(release, "sacct-P-steps.txt")
    out = tmp_path / "jobs.jsonl"
    result = wlgen("convert", str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    source = SacctSource(path, kind="sacct")
    assert list(JsonlSource(out)) == list(source)
    assert f"19 jobs written, {source.rows - 19} rows skipped ({source.rows} rows)" in \
        result.stderr
    assert sniff(out) == "jsonl"


def test_jsonl_replays_like_its_source(wlgen, tmp_path):
    path = dump("24.11", "sacct.json")
    wlgen("convert", str(path), "-o", str(tmp_path / "jobs.jsonl"))
    runs = {}
    for name, src in (("sacct", path), ("jsonl", tmp_path / "jobs.jsonl")):
        result = wlgen("replay", str(src), "--backend", "sim", "--nodes", "2", "--cpus", "4",
                       "--out", str(tmp_path / name), "--json")
        runs[name] = json.loads(result.stdout)
    for key in ("submitted", "completed", "timeout", "wait_mean_s", "makespan_s"):
        assert runs["sacct"][key] == runs["jsonl"][key], key


def test_swf_says_what_it_cannot_carry(wlgen, tmp_path):
    out = tmp_path / "jobs.swf"
    result = wlgen("convert", str(dump("26.05", "sacct-P-allocations.txt")), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "not carried by SWF: QOS names (numbered as queues): 19 jobs" in result.stderr
    assert "not carried by SWF: dependencies beyond field 17" in result.stderr
    assert "not carried by SWF: cancel points (status 5 only): 1 jobs" in result.stderr
    text = out.read_text()
    assert "; Note: not carried by SWF: job names (19 jobs)" in text
    specs = list(TraceSource(out))
    sacct = list(SacctSource(dump("26.05", "sacct-P-allocations.txt"), kind="sacct"))
    # a heterogeneous job is one record of all its components' tasks (1 + 2)
    assert [s.procs for s in specs] == [s.total_procs for s in sacct]
    assert [s.total_procs for s in sacct if s.components] == [3]
    assert ("not carried by SWF: heterogeneous job components (one record of all their "
            "tasks; each component's own tasks, nodes, memory and GPUs): 1 jobs") \
        in result.stderr
    assert [s.time_limit_s for s in specs] == [s.time_limit_s for s in sacct]
    # A timed-out job's SWF run time is what it ran: its limit.
    assert [s.runtime_s for s in specs] == [min(s.runtime_s, s.time_limit_s) for s in sacct]
    # One afterok/afterany job becomes field 17 (the SWF job number of the one it waited for).
    after_ok = next(i for i, s in enumerate(sacct) if s.name == "after-ok")
    ok = next(i for i, s in enumerate(sacct) if s.name == "ok")
    assert specs[after_ok].preceding == ok + 1


def test_output_must_be_swf_or_jsonl(wlgen, tmp_path):
    result = wlgen("convert", str(dump("24.11", "sacct.json")), "-o", str(tmp_path / "x.csv"))
    assert result.exit_code == 2 and "must end in .swf, .swf.gz or .jsonl" in result.stderr


def test_bad_jsonl_line_names_line_and_field(tmp_path):
    out = tmp_path / "jobs.jsonl"
    out.write_text('{"format": "wlgen-jobs", "version": 1}\n'
                   '{"seq": 0, "submit_s": 0, "procs": 1, "runtime_s": 5, "time_limit_s": 60}\n'
                   '{"seq": 1, "submit_s": 1, "procs": "two", "runtime_s": 5, '
                   '"time_limit_s": 60}\n')
    with pytest.raises(InputError, match=r"jobs.jsonl:3: field procs='two': must be a whole"):
        list(JsonlSource(out))
    lenient = JsonlSource(out, strict=False)
    assert len(list(lenient)) == 1 and lenient.skipped == {"malformed procs": 1}


def test_jsonl_needs_its_header(tmp_path):
    out = tmp_path / "jobs.jsonl"
    out.write_text('{"seq": 0, "submit_s": 0, "procs": 1, "runtime_s": 5, "time_limit_s": 60}\n')
    with pytest.raises(InputError, match="jobs.jsonl:1: field format"):
        JsonlSource(out)


def test_notes_the_source_makes_while_read_reach_the_report_and_header(wlgen, tmp_path):
    # The real 24.11 dump, its first job made to depend on a job the dump does not hold:
    # the dependency is dropped, and saying so is a note known only once the rows are read
    # (describe() was taken before: the note never showed).
    lines = dump("24.11", "sacct-P-allocations.txt").read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace("sbatch --parsable -J ok ",
                                "sbatch --parsable --dependency=afterok:999999 -J ok ", 1)
    path, out = tmp_path / "dep.txt", tmp_path / "dep.jsonl"
    path.write_text("".join(lines))
    result = wlgen("convert", str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "note: dependency on a job outside the dump: dropped: 1" in result.stderr
    header = json.loads(out.read_text().splitlines()[0])
    assert header["source"]["notes"]["dependency on a job outside the dump: dropped"] == 1
