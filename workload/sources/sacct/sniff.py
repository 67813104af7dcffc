"""Which kind of workload file this is, by its content (not its name)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from workload.errors import InputError
from workload.sources.sacct import json as sacct_json
from workload.sources.sacct import pipe

FORMATS = ("sacct", "sacct-json", "swf", "jsonl")
_PEEK = 4096


def read_text(path: str | Path) -> str:
    """The whole file as text (gzip when it starts with gzip's magic)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", file=str(path)) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(f"cannot read gzip: {err}", file=str(path)) from None
    try:
        # utf-8-sig: a byte order mark (a dump saved by some editors) is not a column
        # name; ``sniff`` already looks past it.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start})", file=str(path)) from None


def _head(path: str | Path) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_PEEK)
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", file=str(path)) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as handle:
                raw = handle.read(_PEEK)
        except (OSError, EOFError, zlib.error):
            return ""   # broken gzip: read as SWF, whose reader names the line and the fault
    return raw.decode("utf-8", errors="replace")


def sniff(path: str | Path) -> str:
    """One of FORMATS: a sacct -P/-p header, a sacct --json object, wlgen's JSON lines
    (a first line that is an object with "seq" or "format": "wlgen-jobs"), else SWF."""
    head = _head(path)
    first = head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""
    if pipe.looks_like(first):
        return "sacct"
    if first.startswith("{") and ('"format": "wlgen-jobs"' in first or '"seq"' in first):
        return "jsonl"
    if sacct_json.looks_like(head):
        return "sacct-json"
    return "swf"
