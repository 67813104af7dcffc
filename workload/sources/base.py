"""What every workload source offers besides its jobs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from workload.spec import JobSpec


class Source:
    """Iterate to get JobSpecs in submit order. ``skipped`` counts dropped input by reason.

    ``max_procs`` is the system size the workload was made for (None if unknown), used to
    scale it onto another cluster.
    """

    name = "source"
    max_procs: int | None = None
    #: Whether its jobs can name a partition (False spares a replay a counting pass).
    names_partitions = True

    def __init__(self) -> None:
        self.skipped: Counter[str] = Counter()

    def __iter__(self) -> Iterator[JobSpec]:
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """Settings worth recording in the run directory."""
        return {"source": self.name, "max_procs": self.max_procs}
