"""The SWF reader against broken and hostile input: one InputError naming file and line,
never a traceback, never a number the format does not write."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from workload.errors import InputError
from workload.swf import SwfReader, read_swf

GOOD = b"1 0 10 100 4 -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n"
HEADER = b"; Version: 2.2\n; MaxProcs: 8\n"


def write(tmp_path: Path, data: bytes, name: str = "t.swf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def error_of(path: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as err:
        list(SwfReader(path, **kwargs))
    return err.value


def test_a_latin1_byte_names_its_line(tmp_path):
    path = write(tmp_path, HEADER + GOOD + b"; Note: Universit\xe4t\n" + GOOD)
    err = error_of(path)
    assert err.line == 4 and "not UTF-8 text" in str(err)
    assert str(err).startswith(f"{path}:4: ")


def test_a_latin1_line_is_skipped_and_counted_when_lenient(tmp_path):
    path = write(tmp_path, HEADER + GOOD + b"1 0 \xe9 100\n" + GOOD)
    reader = SwfReader(path, strict=False)
    assert len(list(reader)) == 2
    assert reader.skipped == {"malformed line: not UTF-8 text": 1}


@pytest.mark.parametrize("data, rule", [
    (HEADER + GOOD, "Not a gzipped file"),                                 # text named .gz
    (gzip.compress(HEADER + GOOD * 50)[:60], "end-of-stream"),             # truncated
    (gzip.compress(b"\x00\xff" * 3000), "not UTF-8"),                      # gzipped garbage
])
def test_broken_gzip_is_one_input_error(tmp_path, data, rule):
    err = error_of(write(tmp_path, data, "t.swf.gz"))
    assert rule in str(err) and err.file.endswith("t.swf.gz")


def test_a_bad_crc_is_an_input_error_even_when_lenient(tmp_path):
    data = bytearray(gzip.compress(HEADER + GOOD * 3))
    data[-8] ^= 0xFF                                  # the CRC32 of the trailer
    err = error_of(write(tmp_path, bytes(data), "t.swf.gz"), strict=False)
    assert "CRC check failed" in str(err)


def test_a_utf8_bom_does_not_hide_the_header(tmp_path):
    header, records = read_swf(write(tmp_path, b"\xef\xbb\xbf" + HEADER + GOOD))
    assert header.get("Version") == "2.2" and header.get("MaxProcs") == "8"
    assert len(records) == 1


@pytest.mark.parametrize("text, rule", [
    ("4_0", "not a number"),
    ("\u0664\u0660", "ASCII digits"),         # Arabic-Indic 40
    ("\uff14\uff10", "ASCII digits"),         # fullwidth 40
    ("4e", "not a number"),
    ("infinity", "must be finite"),
])
def test_only_numbers_as_swf_writes_them(tmp_path, text, rule):
    line = f"1 0 10 100 {text} -1 -1 4 200 -1 1 1 1 -1 -1 -1 -1 -1\n".encode()
    err = error_of(write(tmp_path, HEADER + line))
    assert err.field == "alloc_procs" and rule in str(err)


def test_plain_ascii_numbers_still_read(tmp_path):
    line = b"1 +0 1.5e2 .5 4 -1 -1 4 200. -1 1 1 1 -1 -1 -1 -1 -1\n"
    (record,) = read_swf(write(tmp_path, HEADER + line))[1]
    assert (record.submit, record.wait, record.run, record.req_time) == (0, 150, 0.5, 200)


@pytest.mark.parametrize("field, column", [("submit", 1), ("run", 3), ("think", 17)])
def test_times_past_1e10_are_refused(tmp_path, field, column):
    parts = GOOD.decode().split()
    parts[column] = "1e30"
    err = error_of(write(tmp_path, HEADER + " ".join(parts).encode() + b"\n"))
    assert err.field == field and "must be <= 1e+10" in str(err)


def test_a_whole_number_past_the_fast_path_is_still_checked(tmp_path):
    parts = GOOD.decode().split()
    parts[1] = str(10**30)
    err = error_of(write(tmp_path, HEADER + " ".join(parts).encode() + b"\n"))
    assert err.field == "submit"


def test_a_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot open trace"):
        SwfReader(tmp_path)
