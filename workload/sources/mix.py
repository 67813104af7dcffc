"""A weighted mix of sources, merged by submit time."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from itertools import islice

from workload.errors import InputError
from workload.sources.base import Source
from workload.spec import JobSpec


class MixSource(Source):
    """``jobs`` jobs, ``weight_i / sum(weights)`` of them from source i, in submit order."""

    name = "mix"

    def __init__(self, parts: Sequence[tuple[float, Source]], jobs: int) -> None:
        super().__init__()
        if not parts or any(w <= 0 for w, _ in parts):
            raise InputError("a mix needs at least one source, each with a weight > 0")
        total = sum(w for w, _ in parts)
        counts = [int(jobs * w / total) for w, _ in parts]
        counts[0] += jobs - sum(counts)       # rounding remainder goes to the first part
        self.parts, self.counts = list(parts), counts
        self.max_procs = max((s.max_procs or 0 for _, s in parts), default=0) or None

    def __iter__(self) -> Iterator[JobSpec]:
        streams = [islice(source, count) for (_, source), count in zip(self.parts, self.counts)]
        merged = heapq.merge(*streams, key=lambda spec: spec.submit_s)
        for seq, spec in enumerate(merged):
            yield spec.with_(seq=seq, source_id=seq + 1, preceding=None)
        for _, source in self.parts:
            self.skipped.update(source.skipped)

    def describe(self) -> dict[str, object]:
        return {"source": self.name, "parts": [
            {"weight": w, "jobs": n, **s.describe()} for (w, s), n in zip(self.parts, self.counts)]}
