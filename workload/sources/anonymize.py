"""Stable pseudonyms for the names in a workload: users, groups, accounts, job names,
partitions.

A pseudonym is a keyed hash of the real name (HMAC-SHA256, the seed is the key), so the
same name gets the same pseudonym in every file and every run with the same seed, and
none can be turned back without the seed. Pseudonyms are valid Unix and Slurm names
(``u3fa9c2``), so an anonymized workload can still be replayed on real Slurm. The map
real -> pseudonym is kept only in memory unless asked for (``write_map``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from workload.spec import JobSpec

#: kind -> pseudonym prefix
KINDS = {"user": "u", "group": "g", "account": "a", "partition": "p", "name": "j"}
_DIGITS = 6


class Anonymizer:
    """``pseudonym(kind, real)``; ``specs(stream)`` rewrites every spec's names."""

    def __init__(self, seed: int | str = 0) -> None:
        self._key = str(seed).encode()
        self.mapping: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
        self._taken: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}

    def pseudonym(self, kind: str, real: str | None) -> str | None:
        if real is None:
            return None
        known = self.mapping[kind].get(real)
        if known is not None:
            return known
        digest = hmac.new(self._key, f"{kind}\0{real}".encode(), hashlib.sha256).hexdigest()
        width = _DIGITS
        name = f"{KINDS[kind]}{digest[:width]}"
        while self._taken[kind].get(name, real) != real:    # a collision: lengthen
            width += 2
            name = f"{KINDS[kind]}{digest[:width]}"
        self._taken[kind][name] = real
        self.mapping[kind][real] = name
        return name

    def spec(self, spec: JobSpec) -> JobSpec:
        # A heterogeneous job's components may name their own partitions: those too.
        components = tuple(replace(c, partition=self.pseudonym("partition", c.partition))
                           for c in spec.components)
        return spec.with_(user=self.pseudonym("user", spec.user),
                          group=self.pseudonym("group", spec.group),
                          account=self.pseudonym("account", spec.account),
                          partition=self.pseudonym("partition", spec.partition),
                          name=self.pseudonym("name", spec.name), components=components)

    def specs(self, stream: Iterable[JobSpec]) -> Iterator[JobSpec]:
        for spec in stream:
            yield self.spec(spec)

    def write_map(self, path: str | Path) -> None:
        """The real -> pseudonym map as JSON (whoever holds it can undo the anonymity)."""
        Path(path).write_text(json.dumps(self.mapping, indent=1, sort_keys=True) + "\n",
                              encoding="utf-8")
