"""Workload sources: each yields immutable JobSpecs in submit order, lazily."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workload.sources.base import Source
    from workload.sources.lublin import LublinModel, LublinSource
    from workload.sources.mix import MixSource
    from workload.sources.storm import StormSource
    from workload.sources.trace import TraceSource, Window

__all__ = ["LublinModel", "LublinSource", "MixSource", "Source", "StormSource",
           "TraceSource", "Window"]
# Imported on first use (PEP 562): the model sources pull numpy, which a replay of a
# trace never needs and which costs a tenth of a second of start-up.
_HOME = {"Source": "base", "LublinModel": "lublin", "LublinSource": "lublin",
         "MixSource": "mix", "StormSource": "storm", "TraceSource": "trace", "Window": "trace"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
