"""A replay's input with what a site's accounting adds: pseudonyms, associations, QOS.

Wraps any source (sacct, SWF, wlgen-jobs): jobs pass through the Anonymizer when asked;
the ``sacctmgr`` association and QOS dumps are read (strictly: a bad row stops the run)
and checked against the jobs, so a replay says how many jobs name an account or QOS the
dumps do not have. Skips are the inner source's own Counter: they show through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from workload.errors import InputError
from workload.sources.anonymize import Anonymizer
from workload.sources.base import Source
from workload.sources.sacct import Association, Qos, load_assoc, load_qos
from workload.spec import JobSpec


class AccountingSource(Source):
    def __init__(self, inner: Source, *, anonymizer: Anonymizer | None = None,
                 anonymize_map: str | Path | None = None, accounts: str | None = None,
                 qos: str | None = None, partition_map: Mapping[str, str] | None = None
                 ) -> None:
        super().__init__()
        self.inner, self.anonymizer, self.anonymize_map = inner, anonymizer, anonymize_map
        self.skipped = inner.skipped
        self.name, self.max_procs = inner.name, inner.max_procs
        self.header = getattr(inner, "header", None)
        self.accounts_file, self.qos_file = accounts, qos
        self.associations: list[Association] = load_assoc(accounts) if accounts else []
        self.qos: list[Qos] = load_qos(qos) if qos else []
        self.unknown: Counter[str] = Counter()
        self.partitions: frozenset[str] | None = None
        self.notes_before: Counter[str] = Counter()
        self.partition_map = dict(partition_map or {})   # trace partition -> cluster's

    def fit_partitions(self, partitions: Iterable[str]) -> None:
        """Jobs in a partition the cluster lacks go to its default one (counted in
        ``unknown``): a site's partitions rarely exist where it is replayed. Each
        ``--partition-map`` target must be one of ``partitions``."""
        self.partitions = frozenset(partitions)
        for target in self.partition_map.values():
            if target not in self.partitions:
                raise InputError(f"partition {target!r} is not on the cluster (it has "
                                 f"{', '.join(sorted(self.partitions))})",
                                 field="--partition-map", value=target)
        if hasattr(self.inner, "replica") and self.inner.names_partitions:
            # count now, so the run's settings say it
            again = self.replica()
            try:
                for _ in again:
                    pass
            except InputError:
                pass   # the run meets the same line, stops there and records it
            self.notes_before.update(again.unknown)

    def __iter__(self) -> Iterator[JobSpec]:
        known_accounts = {a.account for a in self.associations}
        known_qos = {q.name for q in self.qos}
        self.unknown.clear()
        for spec in self.inner:
            if self.associations and spec.account and spec.account not in known_accounts:
                self.unknown["account not in --accounts"] += 1
            if self.qos and spec.qos and spec.qos not in known_qos:
                self.unknown["QOS not in --qos"] += 1
            mapped = self.partition_map.get(spec.partition or "")
            spec = self.anonymizer.spec(spec) if self.anonymizer else spec
            if mapped is not None:   # after the pseudonyms: the target is the cluster's
                spec = spec.with_(partition=mapped)
            if self.partitions is not None and spec.partition not in (None, *self.partitions):
                self.unknown["partition not on the cluster: its default partition used"] += 1
                spec = spec.with_(partition=None)
            if any(c.partition is not None for c in spec.components):
                spec = spec.with_(components=tuple(replace(c, partition=self._placed(
                    c.partition)) for c in spec.components))
            yield spec
        if self.anonymizer and self.anonymize_map:
            self.anonymizer.write_map(self.anonymize_map)

    def _placed(self, real: str | None) -> str | None:
        """A heterogeneous job's component's own partition as the job's is placed:
        mapped, else its pseudonym, and None (the job's) when the cluster lacks it."""
        if real is None:
            return None
        name = self.partition_map.get(real) or (
            self.anonymizer.pseudonym("partition", real) if self.anonymizer else real)
        if self.partitions is not None and name not in self.partitions:
            self.unknown["heterogeneous job component's partition not on the cluster: "
                         "the job's used"] += 1
            return None
        return name

    def pseudonym(self, kind: str, real: str) -> str:
        """``real`` as the jobs show it: its pseudonym when anonymizing."""
        return self.anonymizer.pseudonym(kind, real) or real if self.anonymizer else real

    def account_tree(self) -> dict[str, tuple[int, list[str]]]:
        """{account: (fairshare, users)} of --accounts as the jobs name them, without
        Slurm's own root account and root user ("parent" shares count as 1)."""
        out: dict[str, tuple[int, list[str]]] = {}
        for assoc in self.associations:
            if assoc.account == "root":
                continue
            account = self.pseudonym("account", assoc.account)
            share, users = out.get(account, (1, []))
            if assoc.user is None:
                share = assoc.share or 1
            elif assoc.user != "root":
                users.append(self.pseudonym("user", assoc.user))
            out[account] = (share, users)
        return out

    def user_qos(self) -> list[tuple[str, str, list[str]]]:
        """(user, account, QOS names) for each user association that names QOS --qos
        has (or normal, which every cluster has)."""
        known = {q.name for q in self.qos} | {"normal"}
        return [(self.pseudonym("user", a.user), self.pseudonym("account", a.account),
                 [q for q in a.qos if q in known])
                for a in self.associations
                if a.user and a.user != "root" and a.account != "root" and a.qos]

    def replica(self) -> "AccountingSource":
        again = object.__new__(AccountingSource)
        again.__dict__.update(self.__dict__)
        again.inner = self.inner.replica()      # type: ignore[attr-defined]
        again.unknown = Counter()
        return again

    def describe(self) -> dict[str, object]:
        out = dict(self.inner.describe())
        if self.anonymizer:
            out["anonymized"] = True
        if self.accounts_file:
            out["accounts"] = {"file": self.accounts_file,
                               "accounts": sorted({a.account for a in self.associations}),
                               "users": len({a.user for a in self.associations if a.user})}
        if self.qos_file:
            out["qos"] = {"file": self.qos_file, "names": [q.name for q in self.qos]}
        if self.partition_map:
            out["partition_map"] = dict(self.partition_map)
        if self.unknown or self.notes_before:
            out["unknown"] = dict(self.unknown or self.notes_before)
        return out
