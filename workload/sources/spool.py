"""An input that can be read only once (a pipe, a FIFO, /dev/stdin) made re-readable.

A replay reads its trace twice: once for the users (created before the clock starts),
once for the jobs. Opening a pipe twice gives each reader part of the stream, so a
trace that is not a regular file is copied once to a private temporary file, removed
when the spool is collected or the process exits.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import weakref

from workload.errors import InputError

_NAMES: dict[str, str] = {}   # a spool's path -> the input's name, for messages


def is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True    # missing: the reader says so, with the file's name


class Spool:
    """``path`` is the input itself when it is a regular file, else a copy of its bytes."""

    def __init__(self, source: str) -> None:
        self.path = source
        if is_regular(source) or os.path.isdir(source):
            return
        # Keep the name's suffix: ".gz" decides how the copy is read.
        suffix = ".swf.gz" if source.endswith(".gz") else ".swf"
        handle, self.path = tempfile.mkstemp(prefix="wlgen-trace-", suffix=suffix)
        _NAMES[self.path] = source
        weakref.finalize(self, _remove, self.path)
        try:
            with open(source, "rb") as src, os.fdopen(handle, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except OSError as err:
            raise InputError(f"cannot read trace: {err.strerror}", file=source) from None


def shown(path: str) -> str:
    """What messages call ``path``: the input's own name when it is a spool."""
    return _NAMES.get(path, path)


def _remove(path: str) -> None:
    _NAMES.pop(path, None)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
