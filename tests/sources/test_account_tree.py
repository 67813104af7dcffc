"""The account tree of a sacctmgr dump, parents first (sources/sacct/tree.py), from a
real 24.11 dump with ParentName (tests/data/sacct/README.md says how it was made)."""

from __future__ import annotations

import pytest

from workload.errors import InputError
from workload.sources.sacct import load_assoc
from workload.sources.sacct.assoc import Association
from workload.sources.sacct.tree import nested

from tests.sources.conftest import dump

TREE = str(dump("24.11", "sacctmgr-assoc-tree.txt"))


def account(name: str, parent: str) -> Association:
    return Association(account=name, user=None, share=1, parent=parent)


def test_a_dumps_nested_accounts_come_parents_first() -> None:
    # science and wlgen are under root already; chem and physics move under science.
    assert nested(load_assoc(TREE)) == [("chem", "science"), ("physics", "science")]


def test_a_flat_dump_nests_nothing() -> None:
    assert nested(load_assoc(str(dump("24.11", "sacctmgr-assoc.txt")))) == []


def test_children_listed_before_their_parents_still_come_after_them() -> None:
    rows = [account("c", "b"), account("b", "a"), account("a", "root")]
    assert nested(rows) == [("b", "a"), ("c", "b")]


def test_a_missing_parent_or_a_cycle_is_an_input_error() -> None:
    with pytest.raises(InputError, match="ParentName='ghost'.*own row"):
        nested([account("a", "ghost")], "assoc.txt")
    with pytest.raises(InputError, match="own ancestor"):
        nested([account("a", "b"), account("b", "a")])
