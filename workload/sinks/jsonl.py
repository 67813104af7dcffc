"""The run directory's ``events.jsonl``: every lifecycle event, one JSON object per line.

This is the record of truth every report reads, so it is written synchronously (a buffered
file append is far cheaper than a queue hand-off) and flushed at close. Lines come from
``Event.to_json`` into a large write buffer: a run may write millions of events.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from workload.errors import SinkError
from workload.event import Event
from workload.sinks.base import Sink, SinkReport

_BUFFER = 1 << 20


class JsonlSink(Sink):
    """Appends each event to ``path`` as it comes; nothing is ever buffered past close."""

    name = "jsonl"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: TextIO | None = None
        self.sent = 0

    def open(self, run_id: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8", buffering=_BUFFER)
        except OSError as err:
            raise SinkError(f"cannot write {self.path}: {err.strerror}") from err

    def emit(self, event: Event) -> None:
        assert self._file is not None, "emit() before open()"
        self._file.write(event.to_json() + "\n")
        self.sent += 1

    def flush(self) -> None:
        """Hand buffered lines to the OS, so a follower (the sink relay) sees them."""
        if self._file is not None:
            self._file.flush()

    def close(self, deadline_s: float) -> SinkReport:
        if self._file is not None:
            self._file.close()
            self._file = None
        return SinkReport(self.name, sent=self.sent)


def follow_lines(path: Path, stop: Callable[[], bool], poll_s: float = 0.2) -> Iterator[str]:
    """Complete lines of a growing file, like ``tail -f``, until ``stop()`` is true at EOF."""
    while not path.exists():
        if stop():
            return
        _time.sleep(poll_s)
    # Bytes, decoded a line at a time: a text reader decodes 8 KB ahead, so an
    # undecodable byte would fail lines before its own and the caller would name the
    # wrong line. A UnicodeDecodeError now comes exactly after the last line yielded.
    with open(path, "rb") as source:
        partial = b""
        while True:
            chunk = source.readline()
            if chunk.endswith(b"\n"):
                yield (partial + chunk[:-1]).decode("utf-8")
                partial = b""
            elif chunk:
                partial += chunk   # a writer's buffer split a line: wait for the rest
            elif stop():
                return
            else:
                _time.sleep(poll_s)
