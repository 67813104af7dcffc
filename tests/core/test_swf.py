"""The SWF reader and writer against the stored real traces and hand-made bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workload.errors import InputError
from workload.swf import FIELDS, Header, SwfReader, SwfRecord, SwfWriter, read_swf, write_swf

GOOD = "1 0 10 100 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n"


def write(tmp_path: Path, text: str, name: str = "t.swf") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_hpc2n_reads_all_records_and_keeps_the_header(hpc2n):
    header, records = read_swf(hpc2n)
    assert len(records) == 3170
    assert header.get("MaxJobs") == "527371"        # the full log's count, not this subset's
    assert header.max_procs == 240
    assert records[0].job == 1 and records[-1].job == 7183
    assert sum(1 for r in records if r.run == -1 and r.status == -1) == 25


def test_lublin_has_no_maxprocs_so_maxnodes_gives_the_size(lublin256):
    reader = SwfReader(lublin256)
    assert reader.header.get("MaxProcs") is None
    assert reader.header.max_procs == 256
    records = list(reader)
    assert len(records) == 10_000 and {r.queue for r in records} == {0}


def test_zero_padded_submit_times_parse_as_numbers(kth9):
    header, records = read_swf(kth9)
    assert [r.submit for r in records][:2] == [0, 1000]
    assert header.get_all("Note") == ["uses the EASY scheduler"]


def test_repeated_header_keys_are_kept_in_order(tmp_path):
    path = write(tmp_path, "; Note: first\n; Queue: 1 batch\n; Note: second\n" + GOOD)
    header = SwfReader(path).header
    assert header.get_all("Note") == ["first", "second"]
    assert [k for k, _ in header.entries] == ["Note", "Queue", "Note"]


def test_float_time_fields_are_kept(tmp_path):
    path = write(tmp_path, "1 0.5 1.25 100.75 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 2.5\n")
    (record,) = SwfReader(path)
    assert (record.submit, record.wait, record.run, record.think) == (0.5, 1.25, 100.75, 2.5)


def test_gzip_input_by_file_name(tmp_path, kth9):
    path = tmp_path / "kth.swf.gz"
    path.write_bytes(gzip.compress(kth9.read_bytes()))
    assert read_swf(path) == read_swf(kth9)


@pytest.mark.parametrize("line, field, rule", [
    ("1 0 10 100 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1\n", "line", "has 17 fields"),
    ("1 0 10 abc 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n", "run", "not a number"),
    ("1 0 10 nan 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n", "run", "must be finite"),
    ("1 0 10 inf 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n", "run", "must be finite"),
    ("1 -5 10 100 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n", "submit", "must be >= 0"),
    ("1 0 10 100 4.5 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n", "alloc_procs", "whole number"),
])
def test_strict_reader_names_file_line_field_and_rule(tmp_path, line, field, rule):
    path = write(tmp_path, "; Version: 2.2\n" + GOOD + line)
    with pytest.raises(InputError) as err:
        list(SwfReader(path))
    message = str(err.value)
    assert message.startswith(f"{path}:3: ")
    assert err.value.line == 3 and err.value.field == field
    assert rule in message


def test_lenient_reader_skips_and_counts_by_reason(tmp_path):
    bad = "1 0 10 abc 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n"
    path = write(tmp_path, GOOD + bad + bad + "1 2 3\n" + GOOD)
    reader = SwfReader(path, strict=False)
    assert len(list(reader)) == 2
    assert reader.skipped == {"malformed run: not a number": 2,
                              "malformed line: has 3 fields, SWF needs 18": 1}


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot open trace"):
        SwfReader(tmp_path / "nope.swf")


@pytest.mark.parametrize("trace", ["hpc2n", "lublin256", "kth9"])
def test_round_trip_of_real_traces(tmp_path, request, trace):
    path = request.getfixturevalue(trace)
    header, records = read_swf(path)
    out = tmp_path / "out.swf"
    write_swf(out, header, records)
    assert read_swf(out) == (header, records)


def _value(field):
    whole = st.one_of(st.just(-1), st.integers(0, 10**9))
    if field.kind is int:
        return whole
    return st.one_of(whole, st.floats(0, 1e9, allow_nan=False, allow_infinity=False))


records = st.builds(lambda values: SwfRecord(*values), st.tuples(*(_value(f) for f in FIELDS)))
comment_lines = st.lists(st.one_of(
    st.builds("{}: {}".format, st.sampled_from(["Version", "Note", "Queue", "MaxProcs"]),
              st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)), max_size=6)


@settings(max_examples=200, deadline=None)
@given(comments=comment_lines, rows=st.lists(records, max_size=20))
def test_round_trip_property(tmp_path_factory, comments, rows):
    """read -> write -> read: a header as read from a file, and any records."""
    header = Header()
    for comment in comments:
        header.add_line(comment)
    path = tmp_path_factory.mktemp("rt") / "t.swf"
    write_swf(path, header, rows)
    got_header, got_rows = read_swf(path)
    assert got_rows == rows
    assert got_header.entries == header.entries


def test_header_at_close_goes_before_the_records_streamed_meanwhile(tmp_path):
    path = tmp_path / "s.swf"
    writer = SwfWriter(path, header_at_close=True)
    rows = [SwfRecord(i, 0, 1, 2, 4, -1, -1, 4, 60, -1, 1, 1, 1, -1, -1, -1, -1, -1)
            for i in range(1, 4)]
    for row in rows:
        writer.write(row)
    assert not path.exists() and (tmp_path / "s.swf.part").exists()   # records on disk
    writer.close(Header([("MaxJobs", str(writer.count)), ("Note", "counted at the end")]))
    assert not (tmp_path / "s.swf.part").exists()
    header, records = read_swf(path)
    assert header.entries == [("MaxJobs", "3"), ("Note", "counted at the end")]
    assert records == rows


def test_header_at_close_into_gzip(tmp_path):
    path = tmp_path / "s.swf.gz"
    writer = SwfWriter(path, header_at_close=True)
    writer.write(SwfRecord._make([1] + [0] * 17))
    writer.close(Header([("MaxJobs", "1")]))
    assert gzip.decompress(path.read_bytes()).decode().startswith("; MaxJobs: 1\n1 0 0")


def test_set_all_replaces_repeated_keys_where_the_first_was():
    header = Header([("MaxPartitions", "1"), ("Partition", "1 batch"), ("Note", "n"),
                     ("Partition", "2 old")])
    header.set_all("Partition", ["1 batch", "2 debug", "3 gpu"])
    assert header.entries == [("MaxPartitions", "1"), ("Partition", "1 batch"),
                              ("Partition", "2 debug"), ("Partition", "3 gpu"), ("Note", "n")]
    header.set_all("Queue", ["1 q"])
    assert header.entries[-1] == ("Queue", "1 q")
