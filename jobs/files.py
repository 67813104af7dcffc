"""The io kernel: each rank writes a file block by block, reads it back, and repeats."""

from __future__ import annotations

import argparse
import os
from typing import Iterator

from jobs.comm import Comm
from jobs.loop import Tally, run_steps
from jobs.timing import Clock


def _directory(opts: argparse.Namespace) -> str:
    # Slurm's job_container/tmpfs sets TMPDIR per job; /tmp is the fallback.
    return opts.dir or os.environ.get("TMPDIR") or "/tmp"


def _blocks(fd: int, opts: argparse.Namespace, tally: Tally) -> Iterator[None]:
    """One block written or read per ``next()``: write the file, then read it back."""
    block = bytearray(b"\xa5" * (opts.block_kib << 10))
    per_file = max(1, (opts.file_mib << 10) // opts.block_kib)
    while True:
        os.lseek(fd, 0, os.SEEK_SET)
        for _ in range(per_file):
            tally.extra["io_write_bytes"] += os.write(fd, block)
            yield
        if opts.fsync:
            os.fsync(fd)
        os.lseek(fd, 0, os.SEEK_SET)
        for _ in range(per_file):
            tally.extra["io_read_bytes"] += os.readv(fd, [block])
            yield


def io(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    """Write/read ``--file-mib`` per rank in ``--block-kib`` blocks until the deadline."""
    path = os.path.join(_directory(opts), f"wlgen-io-{os.getpid()}-{comm.rank}")
    tally = Tally(extra={"io_write_bytes": 0, "io_read_bytes": 0})
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        blocks = _blocks(fd, opts, tally)
        tally.iterations = run_steps(None, clock, lambda: next(blocks))
    finally:
        os.close(fd)
        os.unlink(path)
    return tally
