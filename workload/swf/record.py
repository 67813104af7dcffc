"""One SWF job record: 18 fields, -1 where a field does not apply."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from workload.errors import InputError


class Field(NamedTuple):
    name: str
    kind: type          # int or float
    minimum: float      # smallest legal value other than -1 ("n/a")
    maximum: float = math.inf


# Times past this are not a trace's: 1e10 s is 317 years (Unix times up to the year 2286),
# and beyond it a float's precision runs out (at 1e30 s, a 1,000 s job ends when it starts).
MAX_TIME_S = 1e10
# Any whole number past this sends a line to the checked path (the fast path is unbounded).
_FAST_MAX = 10**10
# SWF numbers as the format writes them: ASCII digits, a sign, a point, an exponent.
# (Python's float() also takes "4_0", Arabic-Indic and fullwidth digits and spaces.)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

# The 18 fields in file order (SWF v2.2). Time fields may be floats.
FIELDS: tuple[Field, ...] = (
    Field("job", int, 0),
    Field("submit", float, 0, MAX_TIME_S),
    Field("wait", float, 0, MAX_TIME_S),
    Field("run", float, 0, MAX_TIME_S),
    Field("alloc_procs", int, 0),
    Field("avg_cpu", float, 0),
    Field("used_mem", float, 0),
    Field("req_procs", int, 0),
    Field("req_time", float, 0, MAX_TIME_S),
    Field("req_mem", float, 0),
    Field("status", int, 0),
    Field("user", int, 0),
    Field("group", int, 0),
    Field("executable", int, 0),
    Field("queue", int, 0),
    Field("partition", int, 0),
    Field("preceding", int, 0),
    Field("think", float, 0, MAX_TIME_S),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)


class SwfRecord(NamedTuple):
    """A job as the trace states it. Field names follow the SWF definition."""

    job: int
    submit: float
    wait: float
    run: float
    alloc_procs: int
    avg_cpu: float
    used_mem: float
    req_procs: int
    req_time: float
    req_mem: float
    status: int
    user: int
    group: int
    executable: int
    queue: int
    partition: int
    preceding: int
    think: float

    @property
    def procs(self) -> int:
        """Requested processors, else allocated ones (-1 when the trace has neither)."""
        return self.req_procs if self.req_procs > 0 else self.alloc_procs


class BadField(ValueError):
    """A field broke a rule; the reader adds file and line."""

    def __init__(self, field: str, value: str, rule: str) -> None:
        super().__init__(rule)
        self.field, self.value, self.rule = field, value, rule

    def to_input_error(self, file: str, line: int) -> InputError:
        return InputError(self.rule, file=file, line=line, field=self.field, value=self.value)


def parse_value(text: str, field: Field) -> int | float:
    """One field from its text, checked against the field's rules."""
    if not _NUMBER.fullmatch(text):
        raise BadField(field.name, text, _not_a_number(text))
    number = float(text)
    if not math.isfinite(number):
        raise BadField(field.name, text, "must be finite")
    if number != -1 and number < field.minimum:
        raise BadField(field.name, text, f"must be >= {field.minimum:g} or -1 (n/a)")
    if number > field.maximum:
        raise BadField(field.name, text, f"must be <= {field.maximum:g}")
    if field.kind is int:
        if not number.is_integer():
            raise BadField(field.name, text, "must be a whole number")
        return int(number)
    return int(number) if number.is_integer() else number


def _not_a_number(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return "not a number"
    if text.isascii() and not math.isfinite(number):
        return "must be finite"
    return "not a number (ASCII digits, sign, point and exponent only)"


def parse_record(line: str) -> SwfRecord:
    """A record from one data line; raises BadField on the first broken rule."""
    parts = line.split()
    if len(parts) != len(FIELDS):
        raise BadField("line", line.strip()[:60], f"has {len(parts)} fields, SWF needs 18")
    values = None
    if line.isascii() and "_" not in line:    # int() alone would take "4_0" and "٤"
        try:
            values = list(map(int, parts))   # fast path: most lines are whole numbers
        except ValueError:
            pass
    if values is None or min(values) < -1 or max(values) > _FAST_MAX:
        return SwfRecord._make(parse_value(text, f) for text, f in zip(parts, FIELDS))
    return SwfRecord._make(values)


def format_value(value: int | float) -> str:
    """Whole numbers without a decimal point; others with full precision."""
    if value.__class__ is int:
        return str(value)
    # ints were returned above (an exact class test: the hot path); floats remain
    return str(int(value)) if value.is_integer() else repr(value)  # type: ignore[union-attr]


def format_record(record: SwfRecord) -> str:
    return " ".join(map(format_value, record))
