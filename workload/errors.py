"""One exception hierarchy: short messages for users, tracebacks only with -v."""

from __future__ import annotations


class WlgenError(Exception):
    """Base of every error wlgen raises on purpose. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class InputError(WlgenError):
    """Bad user input: a trace, scenario, option or config that breaks a rule (exit 2)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None, value: object = None) -> None:
        self.file, self.line, self.field, self.value = file, line, field, value
        where = ":".join(str(p) for p in (file, line) if p is not None)
        what = f"field {field}={value!r}: " if field is not None else ""
        super().__init__(f"{where}: {what}{message}" if where else f"{what}{message}")


class BackendError(WlgenError):
    """A backend (simulator, Slurm CLI or REST) failed to do what was asked."""


class ClusterError(WlgenError):
    """The containerised cluster failed to start, stop or answer."""


class SinkError(WlgenError):
    """An event or metrics sink failed in a way the run cannot recover from."""
