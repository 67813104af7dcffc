"""Streaming SWF reader: the header eagerly, the records lazily, never held twice."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from workload.errors import InputError
from workload.swf.header import Header
from workload.swf.record import BadField, SwfRecord, parse_record


def open_text(path: str | Path, mode: str = "rt") -> IO[str]:
    """Open a trace, gzip-compressed when its name ends in .gz."""
    if str(path).endswith(".gz"):
        return gzip.open(path, mode, encoding="utf-8")
    return open(path, mode, encoding="utf-8", newline="\n" if "w" in mode else None)


class SwfReader:
    """Read an SWF file: ``header`` at once, records by iterating.

    Strict (the default) stops at the first malformed line with an InputError naming
    file, line, field and value. Lenient skips such lines and counts them by reason in
    ``skipped``.
    """

    def __init__(self, path: str | Path, *, strict: bool = True) -> None:
        self.path = str(path)
        self.strict = strict
        self.skipped: Counter[str] = Counter()
        self.lines_read = 0
        try:
            self._file = open_text(path)
        except OSError as err:
            raise InputError(f"cannot open trace: {err.strerror}", file=self.path) from None
        self.header = Header()
        self._pending: str | None = self._read_header()

    def _read_header(self) -> str | None:
        """Consume leading comments and blank lines; return the first data line."""
        for line in self._file:
            self.lines_read += 1
            stripped = line.strip()
            if stripped.startswith(";"):
                self.header.add_line(stripped[1:])
            elif stripped:
                return line
        return None

    def __iter__(self) -> Iterator[SwfRecord]:
        if self._pending is not None:
            first, self._pending = self._pending, None
            record = self._parse(first, self.lines_read)
            if record is not None:
                yield record
        for line in self._file:
            self.lines_read += 1
            if not line.strip() or line.lstrip().startswith(";"):
                continue  # blank lines and stray comments carry no job
            record = self._parse(line, self.lines_read)
            if record is not None:
                yield record
        self._file.close()

    def _parse(self, line: str, number: int) -> SwfRecord | None:
        try:
            return parse_record(line)
        except BadField as bad:
            if self.strict:
                self._file.close()
                raise bad.to_input_error(self.path, number) from None
            self.skipped[f"malformed {bad.field}: {bad.rule}"] += 1
            return None
        except UnicodeDecodeError:
            raise InputError("not a text file", file=self.path, line=number) from None

    def close(self) -> None:
        self._file.close()


def read_swf(path: str | Path, *, strict: bool = True) -> tuple[Header, list[SwfRecord]]:
    """Convenience for small traces and tests: header and all records in memory."""
    reader = SwfReader(path, strict=strict)
    return reader.header, list(reader)
