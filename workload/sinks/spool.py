"""A disk-backed FIFO of one-line records: where a sink parks what a receiver can't take yet.

Records are appended to a plain file and read back from a moving offset, so parking an
event costs one buffered write. The file starts with a fixed-width header line that
holds that offset (``#wlgen-spool sent=<16 digits>``), rewritten in place (one
``pwrite``) each time a batch is confirmed: a process killed at any point leaves a file
that says which records were delivered, so whoever takes it over resends at most the
batch that was in flight, not the whole spool. The file is compacted to the records
still waiting when it closes: a spool left on disk holds exactly what was not delivered,
and opening the same path again replays it first.

A spool is locked (``flock``) by the process using it, for as long as it is open, so
another process can tell a spool left behind (by a run that ended with records it could
not deliver, or died) from one in use, and take it over with :meth:`Spool.adopt`, which
holds that lock until the file is gone: two runs starting at once never both take it.
A spool is locked before it is used and then checked to be the file its path names: a
run's new (empty) file taken by another run's adopt in between is made again.

A record cut mid-line (its writer killed during a write) cannot be sent: it is counted
in :attr:`Spool.cut`, for the sink's report, never dropped unsaid.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, NamedTuple

from workload.errors import SinkError

_CHUNK = 1 << 20
_MAGIC = b"#wlgen-spool sent="
_DIGITS = 16
HEADER_LEN = len(_MAGIC) + _DIGITS + 1
log = logging.getLogger(__name__)


def header(offset: int) -> bytes:
    """The header line saying records start at byte ``offset`` of the file."""
    return _MAGIC + b"%0*d" % (_DIGITS, offset) + b"\n"


class Content(NamedTuple):
    """What a spool file holds: where its waiting records start, and how they end."""

    start: int        # byte offset of the first record not yet delivered
    records: list[bytes]
    cut: int          # bytes of a last record cut mid-line (0: the file ends whole)
    has_header: bool  # False: a file of an older wlgen, records from byte 0


def parse(data: bytes, path: Path) -> Content:
    """A spool file's bytes as its waiting records (see the module docstring)."""
    has_header = data.startswith(_MAGIC)
    start = 0
    if has_header:
        if len(data) < HEADER_LEN:      # killed while writing the header: no record yet
            return Content(len(data), [], 0, True)
        try:
            start = int(data[len(_MAGIC):HEADER_LEN - 1])
        except ValueError:
            log.warning("%s: unreadable header, every record resent", path)
            start = HEADER_LEN
        # Past the end: the file was emptied but the header not yet rewritten (all sent).
        start = min(max(start, HEADER_LEN), len(data))
    lines = data[start:].split(b"\n")
    cut = lines.pop()
    return Content(start, [line for line in lines if line], len(cut), has_header)


def _read_all(fd: int) -> bytes:
    parts, pos = [], 0
    while chunk := os.pread(fd, _CHUNK, pos):
        parts.append(chunk)
        pos += len(chunk)
    return b"".join(parts)


class Spool:
    """Append-only record file with a read offset. Used by one thread at a time."""

    def __init__(self, path: Path, reread: bool = False) -> None:
        """``reread``: its writer reads a record cut mid-line again from its own source
        (the daemon logs' saved offsets move only once the spool is flushed), so such a
        record is not lost, and not counted in :attr:`cut`."""
        self.path, self._reread = path, reread
        self.cut = 0   # records found cut mid-line (here or in spools adopted): lost
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _open_locked(path)
        # pread/pwrite on a raw descriptor: no read buffer can go stale after a reset, and
        # the header is rewritten in place (the writer appends, whatever its position).
        self._fd = os.open(path, os.O_RDWR)
        content = parse(_read_all(self._fd), path)
        if content.cut:   # a record we were writing when killed: cut off
            if self._reread:
                log.warning("%s: its last record was cut mid-line (%d bytes): cut off, to "
                            "be read again from its source", path, content.cut)
            else:
                self._count_cut(path, content.cut)
            os.ftruncate(self._fd, os.fstat(self._fd).st_size - content.cut)
        self._has_header = content.has_header
        if os.fstat(self._fd).st_size == 0:
            self._writer.write(header(HEADER_LEN))
            self._writer.flush()
            self._has_header, content = True, Content(HEADER_LEN, [], 0, True)
        self._offset = content.start
        self._count = len(content.records)

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
        appended here, made durable, then their files removed, each still locked until
        it is gone. A spool another process holds open (locked) is left alone. Returns
        how many records were taken (cut ones are counted in :attr:`cut`)."""
        taken = 0
        for path in sorted(paths, key=_mtime):
            with _locked(path) as data:
                if data is None:
                    continue
                content = parse(data, path)
                if content.cut:
                    self._count_cut(path, content.cut)
                if content.records:
                    self.extend(content.records)
                    self.sync()   # on disk here before gone from there
                    taken += len(content.records)
                path.unlink(missing_ok=True)
        return taken

    def sync(self) -> None:
        """Make the records parked so far durable (flushed and fsynced)."""
        self._writer.flush()
        os.fsync(self._writer.fileno())

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
        """Forget the first records returned by ``peek`` (they were delivered), in the
        file's header too: a process killed after this never resends them."""
        if not records:
            return
        self._offset += sum(len(r) + 1 for r in records)
        self._count -= len(records)
        if self._count == 0:
            self._reset()
        elif self._has_header:   # (a file of an older wlgen has none until its reset)
            os.pwrite(self._fd, header(self._offset), 0)

    def _reset(self) -> None:
        # Nothing waits: start the file over so a long run never grows it without bound.
        # Killed between the two steps, the file is empty: nothing to resend either way.
        self._writer.truncate(0)
        self._writer.write(header(HEADER_LEN))
        self._writer.flush()
        self._has_header, self._offset = True, HEADER_LEN

    def close(self) -> None:
        """Keep only the records still waiting; remove the file when there are none."""
        self._writer.flush()
        # Still locked while the file changes: an adopter sees the old file or the new.
        if not self._count:
            self.path.unlink(missing_ok=True)
        elif not (self._has_header and self._offset == HEADER_LEN):   # else nothing to cut
            self._compact()
        self._writer.close()
        os.close(self._fd)

    def _compact(self) -> None:
        """The waiting records, after a fresh header, into a new file that replaces this
        one: copied a chunk at a time (a spool of 200 MB was read whole into memory)."""
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            out.write(header(HEADER_LEN))
            pos = self._offset
            while chunk := os.pread(self._fd, _CHUNK, pos):
                out.write(chunk)
                pos += len(chunk)
        os.replace(tmp, self.path)

    def _count_cut(self, path: Path, size: int) -> None:
        self.cut += 1
        log.warning("%s: its last record was cut mid-line (%d bytes): lost, counted", path,
                    size)


LOCK_WAIT_S = 30.0   # for an adopter to let go of a path: it holds one only while it reads


def _open_locked(path: Path) -> BinaryIO:
    """``path`` opened for appending and locked (held until close: marks the spool as in
    use, see adopt), the file the path names once locked. Created before it is locked,
    a new file can be found by another run's adopt in between, which locks it, finds it
    empty and removes it: then this opens the path again. Waits (bounded) for the lock,
    as an adopter holds another run's file only while it takes it over."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        writer = open(path, "ab")
        try:
            if _lock_by(writer.fileno(), deadline) and _names(path, writer.fileno()):
                return writer
        except BaseException:
            writer.close()
            raise
        writer.close()
        if time.monotonic() > deadline:
            raise SinkError(f"spool {path}: another process holds it locked (still after "
                            f"{LOCK_WAIT_S:g} s): two runs with one run id?")


def _lock_by(fd: int, deadline: float) -> bool:
    """Lock ``fd`` exclusively, waiting until ``deadline`` at most; False if not."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)


def _names(path: Path, fd: int) -> bool:
    """Does ``path`` still name the file open at ``fd`` (not removed, not replaced)?"""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@contextmanager
def _locked(path: Path) -> Iterator[bytes | None]:
    """A left-behind spool's bytes, its lock held until the block ends (the caller
    removes the file inside it); None when it is in use or already gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Replaced (or removed by an adopter) while we opened it: not this file.
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except OSError:   # its run is still going (or it is gone): not ours to take
            same = False
        yield _read_all(fd) if same else None
    finally:
        os.close(fd)
