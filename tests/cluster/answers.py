"""A fake at the command seam: Slurm's answers, in order, from stored real outputs.

``Answers`` plays both seams the cluster code runs Slurm commands through: ``run(argv)``
(``workload.cluster.nodes.Commands``, like ``backends.slurm.runner.Runner``) and
``FakeCluster.exec`` (``Cluster.exec``, what ``Cluster.slurm`` and the fault code call).
Each expected command is answered with the stored output given for it; a command the
script does not expect fails the test, so a test also pins which commands were sent.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workload.cluster import Cluster, ClusterSpec
from workload.cluster.nodes import Done

DATA = Path(__file__).parent / "data"
INVALID_STATE = (DATA / "resume_not_down.err").read_text()


def show(name: str) -> str:
    """The stored ``scontrol show node -o n2`` output ``show_node_<name>.txt``."""
    return (DATA / f"show_node_{name}.txt").read_text()


SHOW = ["scontrol", "show", "node", "-o", "n2"]
RESUME = ["scontrol", "update", "NodeName=n2", "State=RESUME"]
RECONFIGURE = ["scontrol", "reconfigure"]


@dataclass
class Answers:
    """The commands expected, in order, each with (rc, stdout, stderr)."""

    script: list[tuple[list[str], Done]]

    def __post_init__(self) -> None:
        self.sent: list[list[str]] = []

    def run(self, argv: Sequence[str], *, timeout: float = 60) -> Done:
        self.sent.append(list(argv))
        assert self.script, f"no more commands expected, got {list(argv)}"
        expected, answer = self.script.pop(0)
        assert list(argv) == expected, f"expected {expected}, got {list(argv)}"
        return answer


def ok(out: str = "") -> Done:
    return Done(0, out, "")


class FakeCluster(Cluster):
    """A Cluster whose commands on the controller are answered by ``answers``."""

    def __init__(self, answers: Answers) -> None:
        super().__init__(ClusterSpec(name="wlgen-fake", nodes=2, cpus=2, mem_mb=1024))
        self.answers = answers

    def exec(self, host: str, argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
        assert host == "ctld", host
        done = self.answers.run(argv)
        result = subprocess.CompletedProcess(list(argv), done.rc, done.out.encode(),
                                             done.err.encode())
        if kwargs.get("check") and done.rc != 0:
            from workload.cluster.proc import failure
            raise failure(list(argv), result)
        return result
