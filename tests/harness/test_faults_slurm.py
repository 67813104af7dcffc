"""The Slurm fault driver's commands (pure) and its timing, on a stand-in cluster."""

from __future__ import annotations

import time

import pytest

from workload.fault import Fault
from workload.backends.slurm.faults import SlurmFaults, fault_argv, fault_node


def container(host: str) -> str:
    return f"hx-{host}"


def test_each_fault_is_the_command_an_operator_would_type():
    assert fault_argv(Fault(60, "node_down", node="n2"), "podman", container, 2) == [
        ["scontrol", "update", "NodeName=n2", "State=DRAIN", "Reason=wlgen fault at 60s"],
        ["scontrol", "update", "NodeName=n2", "State=DOWN", "Reason=wlgen fault at 60s"]]
    assert fault_argv(Fault(90, "node_up", node="n2"), "podman", container, 2) == [
        ["scontrol", "update", "NodeName=n2", "State=RESUME"]]
    assert fault_argv(Fault(5, "slurmctld_restart", down_s=3), "podman", container, 2) == [
        ["podman", "stop", "-t", "20", "hx-ctld"], ["podman", "start", "hx-ctld"]]
    assert fault_argv(Fault(5, "slow_node", node="n1", factor=4), "podman", container, 2) == [
        ["podman", "update", "--cpus", "0.5", "hx-n1"]]
    with pytest.raises(ValueError):
        fault_argv(Fault(5, "link_down", link="s1-n3"), "podman", container, 2)


def test_a_link_names_its_node_after_the_switch():
    assert fault_node(Fault(1, "link_down", link="s1-n3")) == "n3"
    assert fault_node(Fault(1, "link_down", link="n4")) == "n4"


class Recording(SlurmFaults):
    """The real driver loop; ``apply`` records instead of touching a cluster."""

    def apply(self, fault: Fault) -> str:
        return fault.action


def test_faults_run_at_their_times_and_the_rest_are_marked_not_reached():
    faults = [Fault(0.2, "node_down", node="n1"), Fault(0.4, "node_up", node="n1"),
              Fault(30, "node_down", node="n2")]
    driver = Recording(None, faults)
    epoch = time.time()
    driver.start(epoch)
    time.sleep(0.8)
    driver.stop()
    began = [f["began_s"] for f in driver.applied[:2]]
    assert began[0] == pytest.approx(0.2, abs=0.15) and began[1] == pytest.approx(0.4, abs=0.15)
    assert [f["outcome"] for f in driver.applied] == ["applied", "applied",
                                                      "not reached (run ended)"]
