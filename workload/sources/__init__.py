"""Workload sources: each yields immutable JobSpecs in submit order, lazily."""

from workload.sources.base import Source
from workload.sources.lublin import LublinModel, LublinSource
from workload.sources.mix import MixSource
from workload.sources.storm import StormSource
from workload.sources.trace import TraceSource, Window

__all__ = ["LublinModel", "LublinSource", "MixSource", "Source", "StormSource",
           "TraceSource", "Window"]
