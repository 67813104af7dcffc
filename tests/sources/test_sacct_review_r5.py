"""Review findings on reading dumps (issue 16, R5): ``sacctmgr -p`` (every line ends in
one "|") reads as ``-P`` does, even when its last fields are empty; a dump that starts
with a UTF-8 byte order mark reads as the same dump without it. Inputs: the stored real
24.11 dumps (tests/data/sacct/README.md), turned into those forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.errors import InputError
from workload.sources.sacct import SacctSource, load_assoc, load_qos

from tests.sources.conftest import dump


def as_p(path: Path, tmp_path: Path) -> Path:
    """The -P dump as sacctmgr -p prints it: "|" after every field, the last one too."""
    out = tmp_path / f"p-{path.name}"
    out.write_text("".join(line + "|\n" for line in path.read_text().splitlines()))
    return out


@pytest.mark.parametrize(("load", "name"), [(load_qos, "sacctmgr-qos.txt"),
                                            (load_assoc, "sacctmgr-assoc.txt")])
def test_sacctmgr_dash_p_reads_as_dash_capital_p(load, name: str, tmp_path: Path) -> None:
    source = dump("24.11", name)
    # The stored dumps end rows in empty fields: stripping every trailing "|" lost them.
    assert any(line.endswith("|") for line in source.read_text().splitlines()[1:])
    assert load(str(as_p(source, tmp_path))) == load(str(source))


def test_a_byte_order_mark_is_not_part_of_the_header(tmp_path: Path) -> None:
    source = dump("24.11", "sacct-P-allocations.txt")
    marked = tmp_path / "bom.txt"
    marked.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    read = [list(SacctSource(path, kind="sacct")) for path in (marked, source)]
    assert read[0] == read[1] and len(read[0]) > 5


def test_a_gpu_count_that_is_no_number_is_an_input_error_not_a_traceback(
        tmp_path: Path) -> None:
    source = dump("24.11", "sacct-P-allocations.txt")
    bad = tmp_path / "bad.txt"
    lines = source.read_text().splitlines(keepends=True)
    bad.write_text(lines[0] + lines[1].replace("billing=", "gres/gpu=two,billing=", 1))
    with pytest.raises(InputError) as caught:
        list(SacctSource(bad, kind="sacct"))
    assert (caught.value.line, caught.value.field) == (2, "ReqTRES")
    assert "gres/gpu must be a whole number of GPUs" in str(caught.value)


FREE = ["JobName", "SubmitLine", "WorkDir", "Comment", "AdminComment", "SystemComment",
        "Constraints", "Reason", "Reservation", "WCKey", "StdOut", "StdErr", "StdIn",
        "Container"]


def test_a_piped_name_among_many_free_text_columns_is_rejoined_at_once() -> None:
    # 14 free-text columns (an "-o ALL"-style dump) and a name with three '|', also in
    # the submit line: six extra pieces. Every tuple of widths was tried, 7 ** 14 of them
    # (minutes, it seemed to hang); the ways to share 6 among 14 are 27,132.
    from workload.sources.sacct.pipe import _compositions, rejoin
    assert sum(1 for _ in _compositions(6, 14)) == 27_132
    assert list(_compositions(2, 2)) == [(0, 2), (1, 1), (2, 0)]
    names = ["JobID", "State", *FREE]
    values = dict.fromkeys(FREE, "")
    values |= {"JobID": "7", "State": "COMPLETED", "JobName": "x|y|z|w",
               "SubmitLine": "sbatch -J x|y|z|w --wrap true"}
    parts = "|".join(values[n] for n in names).split("|")
    assert rejoin(parts, names, "d.txt", 2) == values


def test_too_many_ways_to_rejoin_is_a_clear_error() -> None:
    from workload.sources.sacct.pipe import rejoin
    names = ["JobID", *FREE]
    parts = ["7", *["a|b|c|d|e|f|g|h"] * len(FREE)]
    with pytest.raises(InputError, match="too many ways to put"):
        rejoin("|".join(parts).split("|"), names, "d.txt", 2)


@pytest.mark.parametrize("text", ['{"jobs": [1]}', '{"jobs": [null]}'])
def test_a_json_job_that_is_no_object_is_an_input_error(text: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    with pytest.raises(InputError, match="each job must be an object") as caught:
        list(SacctSource(bad, kind="sacct-json", strict=False))
    assert caught.value.field == "jobs[0]"
