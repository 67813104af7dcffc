"""The one polling helper under every wait of the cluster code and its tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from workload.errors import ClusterError

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, what: str,
             interval: float = 0.2) -> T:
    """Call ``predicate`` until it returns something truthy and return that.

    Raises ClusterError("timed out after N s waiting for <what>") when ``timeout`` passes.
    A predicate that raises stops the wait at once: failures are never swallowed here.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ClusterError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
