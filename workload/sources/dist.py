"""Tiny distribution specs for storms: "4", "1-8", "pow2:1-64", "exp:60", "uniform:10-120"."""

from __future__ import annotations

import math
import re

import numpy as np

from workload.errors import InputError

_RANGE = re.compile(r"(?:(?P<kind>[a-z0-9]+):)?(?P<low>[0-9.]+)(?:-(?P<high>[0-9.]+))?")
KINDS = ("const", "uniform", "pow2", "exp")


class Dist:
    """A positive random quantity parsed from a short spec string (see module doc)."""

    def __init__(self, spec: str, *, option: str, integer: bool) -> None:
        match = _RANGE.fullmatch(spec.strip())
        if not match:
            raise InputError("expected N, LOW-HIGH, pow2:LOW-HIGH or exp:MEAN", field=option,
                             value=spec)
        try:
            low = float(match["low"])
            high = float(match["high"]) if match["high"] else low
        except ValueError:
            raise InputError("expected N, LOW-HIGH, pow2:LOW-HIGH or exp:MEAN", field=option,
                             value=spec) from None
        kind = match["kind"] or ("uniform" if match["high"] else "const")
        if kind not in KINDS:
            raise InputError(f"unknown distribution {kind!r} (one of {', '.join(KINDS)})",
                             field=option, value=spec)
        if not 0 < low <= high < math.inf:
            raise InputError("needs 0 < LOW <= HIGH", field=option, value=spec)
        self.spec, self.kind, self.low, self.high, self.integer = spec, kind, low, high, integer

    def draw(self, rng: np.random.Generator) -> float:
        if self.kind == "const":
            value = self.low
        elif self.kind == "exp":
            value = rng.exponential(self.low)
        elif self.kind == "pow2":
            lo, hi = math.ceil(math.log2(self.low)), math.floor(math.log2(self.high))
            value = 2.0 ** int(rng.integers(lo, hi + 1))
        elif self.integer:
            value = float(rng.integers(int(self.low), int(self.high) + 1))
        else:
            value = rng.uniform(self.low, self.high)
        return float(max(1, round(value))) if self.integer else max(value, 0.001)

    @property
    def maximum(self) -> float:
        return math.inf if self.kind == "exp" else self.high
