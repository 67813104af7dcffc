"""SWF writer: a header then one record a line, gzip when the name ends in .gz."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from workload.swf.header import Header
from workload.swf.reader import open_text
from workload.swf.record import SwfRecord, format_record

_COPY_BUFFER = 1 << 20


class SwfWriter:
    """Write records one at a time (a run's realised schedule is written as it ends).

    With ``header_at_close`` the header is not known yet: records stream to a side file
    (``NAME.part``) and ``close(header)`` writes the header, then copies the records
    after it, so a header can state counts and spans without the records in memory.
    """

    def __init__(self, path: str | Path, header: Header | None = None, *,
                 header_at_close: bool = False) -> None:
        self.path = Path(path)
        self.count = 0
        self._part: Path | None = None
        if header_at_close:
            self._part = self.path.with_name(self.path.name + ".part")
            self._file: IO[str] = open(self._part, "w", encoding="utf-8", newline="\n")
        else:
            self._file = open_text(path, "wt")
            _write_header(self._file, header or Header())

    def write(self, record: SwfRecord) -> None:
        self._file.write(format_record(record) + "\n")
        self.count += 1

    def write_line(self, line: str) -> None:
        """A record already formatted as ``format_record`` does (no newline)."""
        self._file.write(line + "\n")
        self.count += 1

    def close(self, header: Header | None = None) -> None:
        """Finish the file; a header-at-close writer puts ``header`` before the records."""
        self._file.close()
        part, self._part = self._part, None
        if part is None:
            return
        opener = gzip.open if self.path.name.endswith(".gz") else open
        lines = "".join(line + "\n" for line in (header or Header()).lines())
        with opener(self.path, "wb") as out, open(part, "rb") as records:
            out.write(lines.encode("utf-8"))
            shutil.copyfileobj(records, out, _COPY_BUFFER)     # bytes: no decode, no encode
        os.unlink(part)

    def __enter__(self) -> "SwfWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_header(out, header: Header) -> None:
    out.writelines(line + "\n" for line in header.lines())


def write_swf(path: str | Path, header: Header, records: Iterable[SwfRecord]) -> int:
    """Write a whole trace; returns the number of records written."""
    with SwfWriter(path, header) as writer:
        for record in records:
            writer.write(record)
        return writer.count
