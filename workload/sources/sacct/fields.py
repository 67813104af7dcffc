"""sacct's value formats, one pure parser each: times, durations, memory, TRES, exit codes.

Each raises ``ValueError`` with the rule a value broke; the readers turn that into an
InputError naming file, line and field.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

#: Values sacct prints where there is nothing to print.
NOTHING = frozenset({"", "Unknown", "None", "NONE", "N/A", "n/a", "(null)", "None assigned"})
UNLIMITED = frozenset({"UNLIMITED", "Partition_Limit", "INFINITE", "INVALID"})
_DURATION = re.compile(r"^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")
_MEM = re.compile(r"^(\d+(?:\.\d+)?)([KMGTP]?)([cn]?)$")
_SCALE_MB = {"": 1 / 1024 / 1024, "K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 ** 2,
             "P": 1024 ** 3}


def when(text: str) -> float | None:
    """An ISO time (``2026-12-04T07:30:00``, read as UTC unless it has an offset) or epoch
    seconds (``SLURM_TIME_FORMAT=%s``) as epoch seconds; None for Unknown/None/0."""
    text = text.strip()
    if text in NOTHING or text == "0":
        return None
    if text.isdigit():
        return float(text)
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be an ISO time (YYYY-MM-DDTHH:MM:SS), epoch seconds or "
                         "Unknown") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


def duration(text: str) -> float | None:
    """``[D-][HH:]MM:SS`` (Elapsed, Timelimit) as seconds; None for UNLIMITED and the like."""
    text = text.strip()
    if text in UNLIMITED or text in NOTHING:
        return None
    match = _DURATION.match(text)
    if not match:
        raise ValueError("must be [D-][HH:]MM:SS or UNLIMITED")
    days, hours, minutes, seconds = match.groups()
    return (int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes) * 60
            + float(seconds))


def minutes(text: str) -> float | None:
    """TimelimitRaw (whole minutes) as seconds; None for UNLIMITED."""
    text = text.strip()
    if text in UNLIMITED or text in NOTHING:
        return None
    if not text.isdigit():
        raise ValueError("must be whole minutes or UNLIMITED")
    return int(text) * 60.0


def count(text: str) -> int | None:
    """A whole number (NCPUS, NNodes, ElapsedRaw); None when absent."""
    text = text.strip()
    if text in NOTHING:
        return None
    if not text.isdigit():
        raise ValueError("must be a whole number")
    return int(text)


def memory(text: str) -> tuple[float, str] | None:
    """ReqMem as (MB, per) where per is "cpu", "node" or "" (not said: 21.08+ prints
    neither suffix; the TRES say per job). ``--noconvert`` prints bytes-less numbers in
    MB; K/M/G/T suffixes are binary units."""
    text = text.strip()
    if text in NOTHING or text in ("0", "0n", "0c"):
        return None
    match = _MEM.match(text)
    if not match:
        raise ValueError("must be a number with an optional K/M/G/T unit and c/n suffix")
    number, unit, per = match.groups()
    scale = _SCALE_MB[unit] if unit else 1.0      # --noconvert: plain MB
    return float(number) * scale, {"c": "cpu", "n": "node", "": ""}[per]


def tres(text: str) -> dict[str, str]:
    """``billing=2,cpu=2,mem=200M,node=1,gres/gpu:a100=2`` as a dict (empty for none)."""
    text = text.strip()
    if text in NOTHING:
        return {}
    out: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ValueError("must be comma-separated KEY=VALUE pairs")
        if key.startswith("gres/gpu") and not value.isdigit():
            raise ValueError(f"{key} must be a whole number of GPUs")
        out[key] = value
    return out


def gpus(tres_map: dict[str, str]) -> tuple[int, str | None]:
    """GPUs in a TRES dict and their type: ``gres/gpu=2`` or ``gres/gpu:a100=2``."""
    total, kind = 0, None
    plain = tres_map.get("gres/gpu")
    for key, value in tres_map.items():
        if key.startswith("gres/gpu:"):
            kind = key.split(":", 1)[1]
            total = total or int(value)
    if plain is not None:
        total = int(plain)
    return total, kind


def exit_code(text: str) -> int | None:
    """``code:signal`` as one number, as a shell shows it: 128+signal when killed."""
    code, _, signal = text.strip().partition(":")
    if not code.isdigit():
        if text.strip() in NOTHING:
            return None
        raise ValueError("must be CODE:SIGNAL")
    sig = int(signal) if signal.isdigit() else 0
    return 128 + sig if int(code) == 0 and sig else int(code)


def state(text: str) -> str:
    """The state word: ``CANCELLED by 0`` -> CANCELLED, ``OUT_OF_ME+`` left as is."""
    word = text.strip().split(" ", 1)[0]
    if not word:
        raise ValueError("must be a job state")
    return word
