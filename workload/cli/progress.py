"""A one-line progress display on stderr, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Call with (ended, submitted); redraws at most ``every_s`` seconds apart."""

    def __init__(self, total: int | None, stream: TextIO = sys.stderr, every_s: float = 0.2):
        self.total, self.stream, self.every_s = total, stream, every_s
        self.enabled = stream.isatty()
        self._last = 0.0
        self._started = time.monotonic()

    def __call__(self, ended: int, submitted: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < self.every_s:
            return
        self._last = now
        of = f"/{self.total}" if self.total else ""
        rate = ended / max(now - self._started, 1e-9)
        self.stream.write(f"\r  {ended}{of} jobs ended, {submitted} submitted, "
                          f"{rate:,.0f} jobs/s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._last:
            self.stream.write("\r\033[K")
            self.stream.flush()
