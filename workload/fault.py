"""A fault: what breaks, and when (seconds from the start of the run).

actions: node_down / node_up (``node``), link_down / link_up (``link``: a node name or
``SWITCH-NODE``), slurmctld_restart (``down_s``: how long it stays down), slow_node
(``node``, ``factor`` >= 1: its jobs run that many times longer).

The simulator does node_down / node_up (``backends.sim.faults``); the others need real
Slurm (``backends.slurm.faults``): a network, a controller, real payloads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ACTIONS = ("node_down", "node_up", "link_down", "link_up", "slurmctld_restart", "slow_node")
SIM_ACTIONS = ("node_down", "node_up")
NEEDS = {"node_down": "node", "node_up": "node", "slow_node": "node", "link_down": "link",
         "link_up": "link", "slurmctld_restart": None}
WHY_NOT_SIM = {
    "link_down": "the simulator has no network",
    "link_up": "the simulator has no network",
    "slurmctld_restart": "the simulator has no controller to restart",
    "slow_node": "the simulator's job run times are fixed when a job starts",
}

@dataclass(frozen=True)
class Fault:
    at_s: float
    action: str
    node: str | None = None
    link: str | None = None
    down_s: float = 0.0
    factor: float = 1.0
    on_sim: str = "error"      # error | skip
    where: str = "faults"      # the key path, for messages

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if k != "where"}
