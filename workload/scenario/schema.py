"""Reading validated values out of parsed YAML: every error names file, key path, rule."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from workload.errors import InputError

_MISSING = object()


class Key:
    """A value at a key path of a scenario file (``workload.sources.transforms.speedup``)."""

    def __init__(self, value: Any, path: str, file: str) -> None:
        self.value, self.path, self.file = value, path, file

    def error(self, rule: str) -> InputError:
        return InputError(rule, file=self.file, field=self.path or "(top level)",
                          value=self.value)

    def child(self, key: str | int, value: Any) -> "Key":
        path = f"{self.path}.{key}" if self.path else str(key)
        return Key(value, path, self.file)

    # -- containers ------------------------------------------------------------------------
    def mapping(self, allowed: Iterable[str] | None = None,
                required: Sequence[str] = ()) -> dict[str, "Key"]:
        """The keys of a mapping; unknown keys (if ``allowed``) and missing ones are errors."""
        if not isinstance(self.value, dict):
            raise self.error("must be a mapping (key: value)")
        if allowed is not None:
            unknown = sorted(str(k) for k in self.value if k not in set(allowed))
            if unknown:
                raise self.child(unknown[0], self.value[unknown[0]]).error(
                    f"unknown key; allowed here: {', '.join(sorted(allowed))}")
        for key in required:
            if key not in self.value:
                raise self.error(f"missing required key {key!r}")
        return {str(k): self.child(k, v) for k, v in self.value.items()}

    def items(self) -> list["Key"]:
        if not isinstance(self.value, list):
            raise self.error("must be a list")
        return [self.child(i, v) for i, v in enumerate(self.value)]

    # -- scalars -----------------------------------------------------------------------------
    def integer(self, *, low: int | None = None, high: int | None = None) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error("must be a whole number")
        self._in_range(self.value, low, high)
        return self.value

    def number(self, *, low: float | None = None, high: float | None = None,
               positive: bool = False) -> float:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise self.error("must be a finite number")
        if positive and value <= 0:
            raise self.error("must be > 0")
        self._in_range(value, low, high)
        return float(value)

    def text(self, *, choices: Sequence[str] | None = None) -> str:
        if not isinstance(self.value, str) or not self.value:
            raise self.error("must be a non-empty string")
        if choices is not None and self.value not in choices:
            raise self.error(f"must be one of {', '.join(choices)}")
        return self.value

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error("must be true or false")
        return self.value

    def scalar(self) -> str | int | float | bool:
        if not isinstance(self.value, (str, int, float, bool)):
            raise self.error("must be a string, number or boolean")
        return self.value

    def _in_range(self, value: float, low: float | None, high: float | None) -> None:
        if low is not None and value < low:
            raise self.error(f"must be >= {low}")
        if high is not None and value > high:
            raise self.error(f"must be <= {high}")


def opt(keys: dict[str, Key], name: str, read: str, default: Any = None, **rules: Any) -> Any:
    """``keys[name]`` read with method ``read`` (and its rules), or ``default`` if absent."""
    key = keys.get(name)
    if key is None or key.value is None:
        return default
    return getattr(key, read)(**rules)
