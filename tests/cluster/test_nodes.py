"""A node's state and RESUME, against Slurm's stored real answers (tests/cluster/data)."""

from __future__ import annotations

import pytest

from tests.cluster.answers import INVALID_STATE, RESUME, SHOW, Answers, ok, show
from workload.cluster import nodes, wait_for
from workload.cluster.nodes import Done, NodeState
from workload.errors import ClusterError


@pytest.mark.parametrize("name,state,needs_resume,up,lost", [
    ("idle", "IDLE", False, True, False),
    ("idle_not_responding", "IDLE+NOT_RESPONDING", False, False, True),
    ("down_not_responding", "DOWN+NOT_RESPONDING", True, False, True),
    ("drained", "IDLE+DRAIN", True, False, False),
    ("down_drain", "DOWN+DRAIN", True, False, True),
])
def test_each_stored_state_reads_as_slurm_means_it(name, state, needs_resume, up, lost):
    parsed = NodeState.parse(show(name))
    assert (str(parsed), parsed.needs_resume, parsed.up, parsed.lost) == \
        (state, needs_resume, up, lost)


def test_a_node_back_by_itself_between_read_and_resume_is_up():
    """The CI failure: read DOWN, RESUME refused (it had come back), read again: IDLE."""
    answers = Answers([(SHOW, ok(show("down_not_responding"))),
                       (RESUME, Done(1, "", INVALID_STATE)),
                       (SHOW, ok(show("idle")))])
    done = nodes.resume(answers, "n2")
    assert not done.sent and "came back by itself" in done.detail
    assert not answers.script


def test_a_refused_resume_of_a_node_still_down_is_an_error():
    answers = Answers([(SHOW, ok(show("down_drain"))),
                       (RESUME, Done(1, "", INVALID_STATE)),
                       (SHOW, ok(show("drained")))])
    with pytest.raises(ClusterError, match="Invalid node state specified"):
        nodes.resume(answers, "n2")


def test_a_node_in_service_gets_no_resume():
    answers = Answers([(SHOW, ok(show("idle")))])
    assert not nodes.resume(answers, "n2").sent
    assert answers.sent == [SHOW]


def test_a_down_node_is_resumed():
    answers = Answers([(SHOW, ok(show("down_not_responding"))), (RESUME, ok())])
    assert nodes.resume(answers, "n2").sent


def test_return_to_service_resumes_a_node_marked_down_while_it_waits():
    """Read IDLE+NOT_RESPONDING (no RESUME possible), then SlurmdTimeout marks it DOWN:
    the next poll resumes it, and the one after sees it up."""
    answers = Answers([(SHOW, ok(show("idle_not_responding"))),
                       (SHOW, ok(show("down_not_responding"))), (RESUME, ok()),
                       (SHOW, ok(show("idle")))])
    heard: list[str] = []
    state = nodes.return_to_service(answers, "n2", 10, on_resume=heard.append, interval=0)
    assert state.up and len(heard) == 1 and not answers.script


def test_a_failing_scontrol_is_an_error_not_a_state():
    answers = Answers([(SHOW, Done(1, "", "slurm_load_node error: Unable to contact "
                                          "slurm controller (connect failure)"))])
    with pytest.raises(ClusterError, match="Unable to contact"):
        nodes.show(answers, "n2")


# -- the real race, on real Slurm --------------------------------------------------------

class RacingCommands(nodes.CtldCommands):
    """The controller's real commands, except that a RESUME is held back until the node
    has come back by itself: the CI race, made certain instead of rare."""

    def run(self, argv, *, timeout: float = 60):
        if list(argv[-1:]) == ["State=RESUME"]:
            node = argv[2].split("=", 1)[1]
            wait_for(lambda: not nodes.show(nodes.CtldCommands(self.cluster), node)
                     .needs_resume, 60, f"{node} to come back by itself", interval=0.5)
        return super().run(argv, timeout=timeout)


@pytest.mark.podman
@pytest.mark.slurm
def test_resume_meets_a_node_already_back_on_real_slurm(cluster):
    """An admin DOWN comes back by itself (ReturnToService=2) within seconds; the RESUME
    that meets it back gets Slurm's real "Invalid node state specified", and that is
    success because the node's state says it is up."""
    cluster.slurm(["scontrol", "update", "NodeName=n2", "State=DOWN", "Reason=race test"])
    done = nodes.resume(RacingCommands(cluster), "n2")
    assert not done.sent and "came back by itself" in done.detail, done.detail
    assert nodes.show(nodes.CtldCommands(cluster), "n2").up
