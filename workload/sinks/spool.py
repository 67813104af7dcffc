"""A disk-backed FIFO of one-line records: where a sink parks what a receiver can't take yet.

Records are appended to a plain file and read back from a moving offset, so parking an
event costs one buffered write. The file is compacted to the records still waiting when
it closes: a spool left on disk holds exactly what was not delivered, and opening the
same path again replays it first.

A spool is locked (``flock``) by the process using it, for as long as it is open, so
another process can tell a spool left behind (by a run that ended with records it could
not deliver, or died) from one in use, and take it over with :meth:`Spool.adopt`.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from workload.errors import SinkError

_CHUNK = 1 << 20
log = logging.getLogger(__name__)


class Spool:
    """Append-only record file with a read offset. Used by one thread at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = open(path, "ab")
        # Held until close: marks the spool as in use (see adopt); ours alone by its name.
        fcntl.flock(self._writer.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
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

    def adopt(self, paths: Iterable[Path]) -> int:
        """Take over the records of spools left behind at ``paths`` (oldest file first):
        appended here, made durable, then their files removed. A spool another process
        holds open (locked) is left alone. Returns how many records were taken."""
        taken = 0
        for path in sorted(paths, key=_mtime):
            records = _take_left(path)
            if records:
                self.extend(records)
                self._writer.flush()
                os.fsync(self._writer.fileno())   # on disk here before gone from there
                taken += len(records)
            if records is not None:
                path.unlink(missing_ok=True)
        return taken

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
        # Still locked while the file changes: an adopter sees the old file or the new.
        if not remaining:
            self.path.unlink(missing_ok=True)
        else:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_bytes(b"\n".join(remaining) + b"\n")
            os.replace(tmp, self.path)
        self._writer.close()
        os.close(self._fd)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _take_left(path: Path) -> list[bytes] | None:
    """A left-behind spool's whole records; None when it is in use or already gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None   # its run is still going: it delivers (or leaves) them itself
        try:
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                return None   # replaced while we opened it: the next look finds the new one
        except OSError:
            return None
        data = b""
        while chunk := os.read(fd, _CHUNK):
            data += chunk
    finally:
        os.close(fd)
    records = data.split(b"\n")
    if records[-1]:
        # A writer died mid-record: that partial line is no record. Said, not sent.
        log.warning("%s: an incomplete last record (%d bytes) left out", path, len(records[-1]))
    return [r for r in records[:-1] if r]
