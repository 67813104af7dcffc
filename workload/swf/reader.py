"""Streaming SWF reader: the header eagerly, the records lazily, never held twice."""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from workload.errors import InputError
from workload.swf.header import Header
from workload.swf.record import BadField, SwfRecord, parse_record


def open_text(path: str | Path, mode: str = "rt") -> IO[str]:
    """Open a trace, gzip-compressed when its name ends in .gz."""
    if str(path).endswith(".gz"):
        return cast(IO[str], gzip.open(path, mode, encoding="utf-8"))
    return open(path, mode, encoding="utf-8", newline="\n" if "w" in mode else None)


def open_bytes(path: str | Path) -> IO[bytes]:
    """Open a trace for reading as bytes (decoded line by line, so a bad byte has a line)."""
    if str(path).endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


class SwfReader:
    """Read an SWF file: ``header`` at once, records by iterating.

    Strict (the default) stops at the first malformed line with an InputError naming
    file, line, field and value. Lenient skips such lines and counts them by reason in
    ``skipped``. A file that cannot be read at all (not gzip, truncated, a bad CRC) is an
    InputError in both modes. ``name`` is what messages call the file (default ``path``).
    """

    def __init__(self, path: str | Path, *, strict: bool = True, name: str | None = None) -> None:
        self.path = name or str(path)
        self.strict = strict
        self.skipped: Counter[str] = Counter()
        self.lines_read = 0
        try:
            self._file = open_bytes(path)
        except OSError as err:
            raise InputError(f"cannot open trace: {err.strerror}", file=self.path) from None
        self._lines = self._decoded()
        self.header = Header()
        self._pending: str | None = self._read_header()

    def _decoded(self) -> Iterator[str]:
        """The file's lines as text; ``lines_read`` is the number of the line yielded.

        A file that fails under the reader (not gzip, truncated, a bad CRC) ends the
        reading with an InputError at the line it could not read."""
        try:
            for raw in self._file:
                self.lines_read += 1
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    self._undecodable(raw, err)
        except (OSError, EOFError, zlib.error) as err:
            self._file.close()
            reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
            raise InputError(f"cannot read trace: {reason}", file=self.path,
                             line=self.lines_read + 1) from None

    def _undecodable(self, raw: bytes, err: UnicodeDecodeError) -> None:
        self.refuse(BadField("line", raw[max(err.start - 20, 0):err.start + 1]
                             .decode("latin-1"), "not UTF-8 text"))

    def _read_header(self) -> str | None:
        """Consume leading comments and blank lines; return the first data line."""
        for line in self._lines:
            if self.lines_read == 1 and line.startswith("\ufeff"):
                line = line[1:]     # a UTF-8 BOM would hide the first header line
            stripped = line.strip()
            if stripped.startswith(";"):
                self.header.add_line(stripped[1:])
            elif stripped:
                return line
        return None

    def __iter__(self) -> Iterator[SwfRecord]:
        if self._pending is not None:
            first, self._pending = self._pending, None
            record = self._parse(first)
            if record is not None:
                yield record
        for line in self._lines:
            if not line.strip() or line.lstrip().startswith(";"):
                continue  # blank lines and stray comments carry no job
            record = self._parse(line)
            if record is not None:
                yield record
        self._file.close()

    def _parse(self, line: str) -> SwfRecord | None:
        try:
            return parse_record(line)
        except BadField as bad:
            self.refuse(bad)
            return None

    def refuse(self, bad: BadField, *, reason: str | None = None) -> None:
        """The current line breaks a rule: strict raises (file, line), lenient counts it
        under ``reason`` (default: the field and rule)."""
        if self.strict:
            self._file.close()
            raise bad.to_input_error(self.path, self.lines_read) from None
        self.skipped[reason or f"malformed {bad.field}: {bad.rule}"] += 1

    def close(self) -> None:
        self._file.close()


def read_swf(path: str | Path, *, strict: bool = True) -> tuple[Header, list[SwfRecord]]:
    """Convenience for small traces and tests: header and all records in memory."""
    reader = SwfReader(path, strict=strict)
    return reader.header, list(reader)
