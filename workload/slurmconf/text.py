"""slurm.conf text: lines into (keyword, value) pairs, values checked, times parsed.

Every value that reaches a config file passes ``check_value``: a control character
(newline, CR, NUL, ...) would let one value write a second line (``SchedulerParameters:
"bf_interval=5\\nSlurmctldHost=evil"``), so it is refused, never escaped.
"""

from __future__ import annotations

import math
import re

from workload.errors import InputError

_KEYWORD = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Keys that may appear on many lines (each line is one node, partition...); every
#: other key set twice replaces the first in place.
REPEATABLE = ("NodeName", "PartitionName", "NodeSet", "DownNodes", "FrontendName",
              "SwitchName", "Include")
_REPEATABLE = {k.lower() for k in REPEATABLE}


def is_repeatable(key: str) -> bool:
    return key.lower() in _REPEATABLE


def check_value(key: str, value: object, *, file: str | None = None,
                line: int | None = None) -> str:
    """The value as slurm.conf text; InputError for control characters or a bad key."""
    if not _KEYWORD.match(key):
        raise InputError("not a slurm.conf keyword (letters and digits, e.g. "
                         "SchedulerParameters)", file=file, line=line, field=key)
    text = "YES" if value is True else "NO" if value is False else str(value)
    bad = _CONTROL.search(text)
    if bad:
        raise InputError(f"control character {bad.group()!r} in a slurm.conf value (one "
                         "value must stay one line)", file=file, line=line, field=key,
                         value=text)
    return text.strip()


def parse_lines(text: str, source: str = "conf-extra") -> list[tuple[str, str, int]]:
    """``Key=value`` lines (comments and blanks skipped) as (key, value, line number)."""
    if "\x00" in text or "\r" in text:
        raise InputError("NUL or CR in slurm.conf text", file=source)
    out = []
    for number, raw in enumerate(text.split("\n"), 1):
        body = raw.split("#", 1)[0].strip()
        if not body:
            continue
        key, sep, value = body.partition("=")
        if not sep:
            raise InputError("expected Key=value", file=source, line=number, value=body)
        key = key.strip()
        out.append((key, check_value(key, value, file=source, line=number), number))
    return out


_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def minutes_text_to_s(text: str, *, field: str = "time") -> float:
    """Slurm's time format (``M``, ``M:S``, ``H:M:S``, ``D-H``, ``D-H:M``, ``D-H:M:S``,
    ``INFINITE``/``UNLIMITED``) in seconds; a bare number is minutes, as slurm.conf says."""
    text = text.strip()
    if text.upper() in ("INFINITE", "UNLIMITED", "-1"):
        return math.inf
    match = _TIME.match(text)
    if not match:
        raise InputError("not a Slurm time (minutes, MM:SS, HH:MM:SS, D-HH[:MM[:SS]])",
                         field=field, value=text)
    days, first, second, third = match.groups()
    a = int(first)
    b = int(second) if second is not None else None
    c = int(third) if third is not None else None
    if days is not None:      # D-H, D-H:M, D-H:M:S
        return int(days) * 86400 + a * 3600 + (b or 0) * 60 + (c or 0)
    if b is not None and c is not None:   # H:M:S
        return a * 3600 + b * 60 + c
    if b is not None:         # M:S
        return a * 60 + b
    return a * 60.0           # M


def options(value: str) -> dict[str, str]:
    """A comma-separated option list (``bf_window=60,bf_continue``) as {name: value};
    a flag maps to ""."""
    out = {}
    for item in value.split(","):
        name, _, val = item.strip().partition("=")
        if name:
            out[name] = val
    return out
