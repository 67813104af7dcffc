"""The account tree of a ``sacctmgr show assoc`` dump, parents first, for creating it.

A dump names each account's parent when it was made with ``format=...,ParentName``
(without it every account is read as a child of root). Slurm creates an account under
root; one whose parent is another account must be moved there after its parent exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from workload.errors import InputError
from workload.sources.sacct.assoc import Association


def nested(associations: Iterable[Association], path: str | None = None
           ) -> list[tuple[str, str]]:
    """(account, parent) of every account whose parent is not root, each parent before
    its children. InputError for a parent no account row names, or a cycle."""
    parent_of = {a.account: a.parent for a in associations
                 if a.user is None and a.account != "root" and a.parent}
    out: list[tuple[str, str]] = []
    placed = {"root"}
    for account in parent_of:
        chain = []
        while account not in placed:
            if account in chain:
                raise InputError(f"account {account!r} is its own ancestor", file=path,
                                 field="ParentName", value=account)
            chain.append(account)
            parent = parent_of.get(account)
            if parent is None:
                raise InputError("a parent account needs its own row (User empty)",
                                 file=path, field="ParentName", value=account)
            account = parent
        for name in reversed(chain):
            placed.add(name)
            if parent_of[name] != "root":
                out.append((name, parent_of[name]))
    return out
