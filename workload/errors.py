"""One exception hierarchy: short messages for users, tracebacks only with -v."""

from __future__ import annotations

import reprlib

# What an error quotes of a value is capped: a value can be huge (a YAML alias bomb, a
# 5,000-digit number, a line of a binary file), and the message is one line to read.
class _Quote(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:
            return f"<a number of about {int(x.bit_length() * 0.30103)} digits>"
        return repr(x)


_QUOTE = _Quote()
_QUOTE.maxlevel, _QUOTE.maxstring, _QUOTE.maxother = 2, 60, 60
_QUOTE.maxlist = _QUOTE.maxtuple = _QUOTE.maxdict = _QUOTE.maxset = 4
QUOTE_MAX = 120


def quote(value: object) -> str:
    """``repr(value)`` bounded in size and depth, on one line."""
    text = _QUOTE.repr(value).replace("\n", " ")
    return text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX - 3] + "..."


class WlgenError(Exception):
    """Base of every error wlgen raises on purpose. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class InputError(WlgenError):
    """Bad user input: a trace, scenario, option or config that breaks a rule (exit 2)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None, value: object = None) -> None:
        self.file, self.line, self.field, self.value = file, line, field, value
        self.rule = message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        what = f"field {field}={quote(value)}: " if field is not None else ""
        super().__init__(f"{where}: {what}{message}" if where else f"{what}{message}")


class BackendError(WlgenError):
    """A backend (simulator, Slurm CLI or REST) failed to do what was asked."""


class ClusterError(WlgenError):
    """The containerised cluster failed to start, stop or answer."""


class ClusterShapeError(ClusterError):
    """A cluster's shape (its options or a scenario's ``cluster:``) breaks a rule: bad
    input, so exit 2, like every other rule broken by what the user gave."""

    exit_code = 2


class SinkError(WlgenError):
    """An event or metrics sink failed in a way the run cannot recover from."""
