"""replug and the scenario fault node_up meet a node that came back by itself.

Slurm answers with its stored real outputs (tests/cluster/data) through the command
seam; only the cable (`ip link` on the host) is left out, by recording instead of
running. Before the fix replug sent RESUME on a stale read and failed with Slurm's
"Invalid node state specified" (1 of 553 in a fresh-machine CI run).
"""

from __future__ import annotations

import pytest

from tests.cluster.answers import (INVALID_STATE, RECONFIGURE, RESUME, SHOW, Answers,
                                   FakeCluster, ok, show)
from workload.backends.slurm.faults import SlurmFaults
from workload.cluster.nodes import Done
from workload.errors import ClusterError
from workload.fabric import faults
from workload.fault import Fault

RACE = [(SHOW, ok(show("down_not_responding"))), (RESUME, Done(1, "", INVALID_STATE)),
        (SHOW, ok(show("idle")))]


@pytest.fixture
def cables(monkeypatch) -> list[tuple[str, bool]]:
    plugged: list[tuple[str, bool]] = []

    def link(cluster, node, up):
        plugged.append((node, up))
        return faults._event("link_up" if up else "link_down", node)
    monkeypatch.setattr(faults, "link", link)
    return plugged


def test_replug_of_a_node_back_by_itself_is_up(cables):
    answers = Answers([*RACE, (SHOW, ok(show("idle")))])
    events = faults.replug(FakeCluster(answers), "n2", wait_slurm=10)
    assert [e["kind"] for e in events] == ["link_up", "slurm_up"]
    assert events[-1]["state"] == "IDLE" and cables == [("n2", True)]
    assert not answers.script


def test_replug_resumes_a_down_node_and_reconfigures(cables):
    answers = Answers([(SHOW, ok(show("down_not_responding"))), (RESUME, ok()),
                       (RECONFIGURE, ok()), (SHOW, ok(show("idle")))])
    events = faults.replug(FakeCluster(answers), "n2", wait_slurm=10)
    assert [e["kind"] for e in events] == ["link_up", "slurm_resume", "slurm_up"]


def test_replug_still_fails_when_slurm_keeps_the_node_down(cables):
    answers = Answers([(SHOW, ok(show("down_drain"))), (RESUME, Done(1, "", INVALID_STATE)),
                       (SHOW, ok(show("down_drain")))])
    with pytest.raises(ClusterError, match="Invalid node state specified"):
        faults.replug(FakeCluster(answers), "n2", wait_slurm=10)


def test_node_up_fault_of_a_node_back_by_itself_is_applied():
    answers = Answers(list(RACE))
    detail = SlurmFaults(FakeCluster(answers), []).apply(Fault(5, "node_up", node="n2"))
    assert "came back by itself" in detail and not answers.script


def test_node_up_fault_of_a_node_never_down_sends_no_resume():
    answers = Answers([(SHOW, ok(show("idle")))])
    SlurmFaults(FakeCluster(answers), []).apply(Fault(5, "node_up", node="n2"))
    assert answers.sent == [SHOW]
