"""Where a test's run goes when the test names no ``out`` directory.

Under pytest (the plugin is active) runs go below the session's temporary directory,
which pytest prunes (it keeps the last three sessions), so a suite of hundreds of runs
does not leave hundreds of directories in /tmp. Used as a library, outside pytest, a
run gets a fresh directory of the system's, left for the caller to read (``run_dir``).
This module imports nothing heavy: the plugin loads it in every pytest session.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_bases: list[Path] = []


def new_run_dir(prefix: str) -> str:
    """A fresh, empty directory for one run."""
    return tempfile.mkdtemp(prefix=prefix, dir=_bases[-1] if _bases else None)


@contextmanager
def runs_under(base: Path) -> Iterator[None]:
    """Within the block, ``new_run_dir`` makes its directories under ``base``."""
    _bases.append(base)
    try:
        yield
    finally:
        _bases.remove(base)
