"""``sacctmgr -P show ...`` output: a header line, then '|'-separated rows."""

from __future__ import annotations

from collections.abc import Iterator

from workload.errors import InputError
from workload.sources.sacct.sniff import read_text


def rows(path: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, values by column) for each row; the header must have ``required``."""
    lines = read_text(path).splitlines()
    if not lines:
        raise InputError("empty file: expected a sacctmgr -P header line", file=path, line=1)
    # -p ends every line with one "|": strip that one only (a last field may be empty).
    trailing = lines[0].endswith("|")
    names = (lines[0][:-1] if trailing else lines[0]).split("|")
    missing = [n for n in required if n not in names]
    if missing:
        raise InputError(f"header lacks {', '.join(missing)} (is this sacctmgr -P output?)",
                         file=path, line=1, field="header")
    for number, text in enumerate(lines[1:], start=2):
        if not text.strip():
            continue
        parts = (text[:-1] if trailing and text.endswith("|") else text).split("|")
        if len(parts) != len(names):
            raise InputError(f"{len(parts)} fields where the header has {len(names)}",
                             file=path, line=number, field="row")
        yield number, dict(zip(names, parts))


def whole(text: str, path: str, line: int, field: str) -> int | None:
    """A whole number or empty (None); anything else is an InputError."""
    if text == "":
        return None
    if not text.isdigit():
        raise InputError("must be a whole number or empty", file=path, line=line,
                         field=field, value=text)
    return int(text)
