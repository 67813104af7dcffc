"""Open any workload file wlgen replays, by its content or a named format."""

from __future__ import annotations

from pathlib import Path

from workload.errors import InputError
from workload.sources.base import Source
from workload.sources.jsonl import JsonlSource
from workload.sources.sacct import FORMATS, SacctSource, sniff
from workload.sources.trace import TraceSource, Window


def load_source(path: str | Path, fmt: str | None = None, *, strict: bool = True,
                use_memory: bool = False, window: Window | None = None) -> Source:
    """The source for ``path``: ``fmt`` (one of FORMATS) or what its content says.

    Windows (--offset/--limit/--from/--to) apply to SWF traces only.
    """
    window = window or Window()
    kind = fmt or sniff(path)
    if kind not in FORMATS:
        raise InputError(f"format {kind!r} is none of {', '.join(FORMATS)}", field="--format")
    if kind != "swf" and window != Window():
        raise InputError(f"--offset/--limit/--from/--to apply to SWF traces, not {kind}",
                         file=str(path))
    if kind == "swf":
        return TraceSource(path, strict=strict, use_memory=use_memory, window=window)
    if kind == "jsonl":
        return JsonlSource(path, strict=strict)
    return SacctSource(path, kind=kind, strict=strict, use_memory=use_memory)
