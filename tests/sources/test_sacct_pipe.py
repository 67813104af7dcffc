"""sacct -P/-p parsing rules on small dumps cut from the stored real ones: the '|' in free
text, missing and unknown values, strict errors and lenient counts."""

from __future__ import annotations

import json

import pytest

from workload.errors import InputError
from workload.sources.sacct import SacctSource, sniff
from workload.sources.sacct import fields
from workload.sources.sacct.record import job_id
from workload.sources.sacct.submitline import dependencies, node_count, used_begin

from tests.sources.conftest import SACCT, dump


def lines_of(release: str, name: str) -> list[str]:
    return dump(release, name).read_text().splitlines()


def write(tmp_path, lines: list[str], name: str = "cut.txt"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def row_of(lines: list[str], job: str) -> str:
    return next(line for line in lines if line.split("|")[0] == job)


def test_a_pipe_in_the_name_and_the_submit_line_side_by_side(tmp_path):
    lines = lines_of("24.11", "sacct-P-shuffled.txt")     # ...|JobName|SubmitLine|...
    pipe_row = next(line for line in lines if "pipe|name" in line)
    path = write(tmp_path, [lines[0], pipe_row])
    (spec,) = SacctSource(path, kind="sacct")
    assert spec.name == "pipe|name" and spec.user == "bob"


def test_a_pipe_that_fits_no_way_is_an_error(tmp_path):
    lines = lines_of("24.11", "sacct-P-allocations.txt")
    bad = row_of(lines, "1").replace("|2026-", "|2026|-", 1)      # Submit is not free text
    path = write(tmp_path, [lines[0], bad])
    with pytest.raises(InputError, match=r"cut.txt:2: field row=None: 28 fields where the "
                                         r"header has 27, and no way"):
        SacctSource(path, kind="sacct")


def test_strict_names_file_line_field_and_rule(tmp_path):
    lines = lines_of("26.05", "sacct-P-allocations.txt")
    head = lines[0].split("|")
    cells = row_of(lines, "2").split("|")
    cells[head.index("Submit")] = "yesterday"
    path = write(tmp_path, [lines[0], lines[1], "|".join(cells)])
    with pytest.raises(InputError) as err:
        SacctSource(path, kind="sacct")
    assert str(err.value).startswith(f"{path}:3: field Submit='yesterday': must be an ISO time")


def test_lenient_counts_the_bad_row_and_keeps_the_rest(tmp_path):
    lines = lines_of("26.05", "sacct-P-allocations.txt")
    head = lines[0].split("|")
    cells = row_of(lines, "2").split("|")
    cells[head.index("NCPUS")] = "many"
    path = write(tmp_path, [lines[0], lines[1], "|".join(cells), lines[3]])
    source = SacctSource(path, kind="sacct", strict=False)
    jobs = list(source)
    assert source.rows == 3 and len(jobs) + sum(source.skipped.values()) == 3
    assert source.skipped["malformed NCPUS"] == 1


def test_missing_required_column_is_named(tmp_path):
    path = write(tmp_path, ["JobID|State|Elapsed|NCPUS", "1|COMPLETED|00:00:01|1"])
    with pytest.raises(InputError, match=r"cut.txt:1: field header=None: sacct header lacks "
                                         r"User, Submit"):
        SacctSource(path, kind="sacct")


def test_a_minimal_subset_is_enough(tmp_path):
    path = write(tmp_path, ["JobID|User|Submit|State|ElapsedRaw|NCPUS",
                            "7|ann|1796369370|COMPLETED|30|1", "8|ann|Unknown|PENDING|0|1"])
    source = SacctSource(path, kind="sacct")
    (spec,) = source
    assert (spec.runtime_s, spec.procs) == (30.0, 1)
    assert spec.time_limit_s == 30.0       # UNLIMITED/absent: the run time, noted
    assert source.notes["time limit UNLIMITED or absent: run time used"] == 1
    assert source.skipped["still PENDING when dumped"] == 1


def test_sniff_tells_the_kinds_apart(tmp_path):
    assert sniff(dump("22.05", "sacct-p.txt")) == "sacct"
    assert sniff(dump("22.05", "sacct.json")) == "sacct-json"
    assert sniff(dump("22.05", "sacct-P-steps.txt")) == "sacct"
    assert sniff(dump("22.05", "sacctmgr-qos.txt")) == "swf"    # not a job dump: SWF's errors


@pytest.mark.parametrize("text,seconds", [("00:01:22", 82), ("1-02:03:04", 93784),
                                          ("05:06", 306), ("UNLIMITED", None),
                                          ("Partition_Limit", None)])
def test_durations(text, seconds):
    assert fields.duration(text) == seconds


@pytest.mark.parametrize("text,value", [("200M", (200, "")), ("1.50G", (1536, "")),
                                        ("4000Mc", (4000, "cpu")), ("2Gn", (2048, "node")),
                                        ("512", (512, "")), ("0n", None)])
def test_memory(text, value):
    assert fields.memory(text) == value


@pytest.mark.parametrize("text,parts", [
    ("123", (123, None, None, None, None)), ("8_5", (8, 5, None, None, None)),
    ("8_[0-5%3]", (8, None, "[0-5%3]", None, None)), ("17+1", (17, None, None, 1, None)),
    ("17+0.batch", (17, None, None, 0, "batch")), ("8_2.extern", (8, 2, None, None, "extern"))])
def test_job_ids(text, parts):
    ident = job_id(text)
    assert (ident.job, ident.task, ident.task_range, ident.het_offset, ident.step) == parts


def test_pending_array_range_row_is_skipped_not_expanded(tmp_path):
    path = write(tmp_path, ["JobID|User|Submit|State|Elapsed|NCPUS", "9_[0-5%3]|ann|"
                            "1796369370|CANCELLED by 0|00:00:00|0"])
    source = SacctSource(path, kind="sacct")
    assert list(source) == []
    assert source.skipped == {"array tasks that never started (one row for the range)": 1}


def test_submit_line_options():
    line = "sbatch -J x -N2 --dependency=afterok:12:13_4,singleton?afterany:9+5 --wrap -d no"
    assert dependencies(line) == ((("afterok", (12, 13)), ("singleton", ()),
                                   ("afterany", (9,))), True)
    assert node_count(line) == 2 and not used_begin(line)
    assert used_begin("sbatch --begin=now+20 --wrap sleep 2")
    assert dependencies("sbatch --wrap 'x --dependency=afterok:1'") == ((), False)
    with pytest.raises(ValueError, match="dependency kind 'before'"):
        dependencies("sbatch -d before:3")


def test_gpus_come_from_the_tres(tmp_path):
    lines = lines_of("26.05", "sacct-P-allocations.txt")
    head = lines[0].split("|")
    cells = row_of(lines, "1").split("|")
    cells[head.index("AllocTRES")] += ",gres/gpu=2,gres/gpu:a100=2"
    path = write(tmp_path, [lines[0], "|".join(cells)])
    (spec,) = SacctSource(path, kind="sacct")
    assert (spec.gpus, spec.gpu_type) == (2, "a100")
    assert fields.gpus(fields.tres("cpu=4,gres/gpu=1")) == (1, None)
    assert fields.gpus({}) == (0, None)


def test_replay_strict_is_one_line_exit_2_and_lenient_counts(wlgen, tmp_path):
    lines = lines_of("26.05", "sacct-P-allocations.txt")
    head = lines[0].split("|")
    cells = row_of(lines, "2").split("|")
    cells[head.index("NCPUS")] = "many"
    path = write(tmp_path, [lines[0], lines[1], "|".join(cells), *lines[3:]])
    args = ("replay", str(path), "--backend", "sim", "--nodes", "2", "--cpus", "4")
    strict = wlgen(*args, "--out", str(tmp_path / "s"))
    assert strict.exit_code == 2
    assert strict.stderr == f"wlgen: error: {path}:3: field NCPUS='many': must be a whole " \
                            "number\n"
    lenient = wlgen(*args, "--lenient", "--out", str(tmp_path / "l"), "--json")
    metrics = json.loads(lenient.stdout)
    assert metrics["skipped_malformed_ncpus"] == 1
    assert metrics["submitted"] + metrics["skipped"] == len(lines) - 1


def test_convert_an_swf_trace_to_jsonl_and_back(wlgen, tmp_path):
    from workload.sources import TraceSource
    from workload.sources.jsonl import JsonlSource
    trace = SACCT.parent / "CQSim-test-KTH-header-9jobs.swf"
    result = wlgen("convert", str(trace), "-o", str(tmp_path / "kth.jsonl"))
    assert result.exit_code == 0, result.output
    assert list(JsonlSource(tmp_path / "kth.jsonl")) == list(TraceSource(trace))
