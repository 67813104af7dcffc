"""GPUs per node as the cluster shape gives them: ``G`` or ``G:TYPE`` (issue 16)."""

from __future__ import annotations

import re

from workload.errors import InputError

_SHAPE = re.compile(r"(?P<count>[0-9]+)(?::(?P<type>[A-Za-z0-9_.-]+))?")
MAX_GPUS = 64   # per node; gres.conf lists a device file for each


def parse_gpus(text: str, *, field: str = "gpus") -> tuple[int, str | None]:
    """``"2"`` -> (2, None), ``"4:a100"`` -> (4, "a100"); InputError naming the rule."""
    match = _SHAPE.fullmatch(str(text).strip())
    if not match:
        raise InputError("expected G or G:TYPE (GPUs per node, an optional type)",
                         field=field, value=text)
    count = int(match["count"])
    if count > MAX_GPUS:
        raise InputError(f"at most {MAX_GPUS} GPUs per node", field=field, value=text)
    if match["type"] and not count:
        raise InputError("a GPU type needs a count > 0", field=field, value=text)
    return count, match["type"]


def format_gpus(count: int, gpu_type: str | None) -> str:
    return f"{count}:{gpu_type}" if gpu_type else str(count)
