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
