"""SWF writer: a header then one record a line, gzip when the name ends in .gz."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from workload.swf.header import Header
from workload.swf.reader import open_text
from workload.swf.record import SwfRecord, format_record


class SwfWriter:
    """Write records one at a time (a run's realised schedule is written as it ends)."""

    def __init__(self, path: str | Path, header: Header | None = None) -> None:
        self._file = open_text(path, "wt")
        for line in (header or Header()).lines():
            self._file.write(line + "\n")
        self.count = 0

    def write(self, record: SwfRecord) -> None:
        self._file.write(format_record(record) + "\n")
        self.count += 1

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "SwfWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_swf(path: str | Path, header: Header, records: Iterable[SwfRecord]) -> int:
    """Write a whole trace; returns the number of records written."""
    with SwfWriter(path, header) as writer:
        for record in records:
            writer.write(record)
        return writer.count
