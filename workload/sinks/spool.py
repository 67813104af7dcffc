"""A disk-backed FIFO of one-line records: where a sink parks what a receiver can't take yet.

Records are appended to a plain file and read back from a moving offset, so parking an
event costs one buffered write. The file is compacted to the records still waiting when
it closes: a spool left on disk holds exactly what was not delivered, and opening the
same path again replays it first.
"""

from __future__ import annotations

import os
from pathlib import Path

from workload.errors import SinkError

_CHUNK = 1 << 20


class Spool:
    """Append-only record file with a read offset. Used by one thread at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = open(path, "ab")
        # Reads use pread on a raw descriptor: no read buffer can go stale after a reset.
        self._fd = os.open(path, os.O_RDONLY)
        self._offset = 0
        self._count = path.read_bytes().count(b"\n")

    def __len__(self) -> int:
        return self._count

    def extend(self, records: list[bytes]) -> None:
        """Park records (each without its own newline) at the tail."""
        if not records:
            return
        for record in records:
            if b"\n" in record:
                raise SinkError(f"spool {self.path}: a record must be one line")
        self._writer.write(b"\n".join(records) + b"\n")
        self._count += len(records)

    def peek(self, limit: int) -> list[bytes]:
        """The oldest ``limit`` records, left in place until ``consume``."""
        self._writer.flush()
        want = min(limit, self._count)
        records: list[bytes] = []
        pos, tail = self._offset, b""
        while len(records) < want:
            chunk = os.pread(self._fd, _CHUNK, pos)
            if not chunk:
                break
            pos += len(chunk)
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            records.extend(lines)
        return records[:want]

    def consume(self, records: list[bytes]) -> None:
        """Forget the first records returned by ``peek`` (they were delivered)."""
        self._offset += sum(len(r) + 1 for r in records)
        self._count -= len(records)
        if self._count == 0:
            self._reset()

    def _reset(self) -> None:
        # Nothing waits: start the file over so a long run never grows it without bound.
        self._writer.flush()
        self._writer.truncate(0)
        self._writer.seek(0)
        self._offset = 0

    def close(self) -> None:
        """Keep only the records still waiting; remove the file when there are none."""
        remaining = self.peek(self._count)
        self._writer.close()
        os.close(self._fd)
        if not remaining:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(b"\n".join(remaining) + b"\n")
        os.replace(tmp, self.path)
