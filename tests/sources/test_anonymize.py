"""Pseudonyms: stable for a seed, different across seeds, valid names, map only on request."""

from __future__ import annotations

import json
import re

from workload.sources.anonymize import Anonymizer
from workload.sources.sacct import SacctSource

from tests.sources.conftest import dump


def specs():
    return list(SacctSource(dump("24.11", "sacct-P-allocations.txt"), kind="sacct"))


def test_same_seed_same_pseudonyms_other_seed_others():
    once = [s.user for s in Anonymizer(7).specs(specs())]
    again = [s.user for s in Anonymizer(7).specs(specs())]
    other = [s.user for s in Anonymizer(8).specs(specs())]
    assert once == again and once != other
    assert len(set(once)) == 2             # alice and bob stay two people


def test_every_name_is_replaced_by_a_valid_slurm_name():
    real = specs()
    hidden = list(Anonymizer(1).specs(real))
    for before, after in zip(real, hidden):
        for field in ("user", "group", "account", "partition", "name"):
            old, new = getattr(before, field), getattr(after, field)
            assert old is None or (new != old and re.fullmatch(r"[a-z][0-9a-f]{6,}", new))
        assert (after.procs, after.runtime_s, after.depends) == (
            before.procs, before.runtime_s, before.depends)


def test_the_map_is_written_only_when_asked(tmp_path):
    anonymizer = Anonymizer(3)
    hidden = list(anonymizer.specs(specs()))
    assert not list(tmp_path.iterdir())
    anonymizer.write_map(tmp_path / "map.json")
    mapping = json.loads((tmp_path / "map.json").read_text())
    assert mapping["account"]["physics"] in {s.account for s in hidden}
    assert mapping["name"]["pipe|name"] in {s.name for s in hidden}


def test_a_components_own_partition_is_replaced_too():
    # The stored dumps' heterogeneous job keeps one partition; give component 1 its own.
    from workload.spec import Component, JobSpec
    spec = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=1, time_limit_s=60,
                   partition="batch", components=(Component(2, partition="gpuq"),
                                                  Component(1)))
    hidden = Anonymizer(1).spec(spec)
    assert hidden.partition == Anonymizer(1).pseudonym("partition", "batch")
    assert [c.partition for c in hidden.components] == [
        Anonymizer(1).pseudonym("partition", "gpuq"), None]
    assert [c.procs for c in hidden.components] == [2, 1]
