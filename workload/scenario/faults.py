"""The ``faults`` section: what breaks, and when (seconds from the start of the run).

actions: node_down / node_up (``node``), link_down / link_up (``link``: a node name or
``SWITCH-NODE``), slurmctld_restart (``down_s``: how long it stays down), slow_node
(``node``, ``factor`` >= 1: its jobs run that many times longer).

The simulator does node_down / node_up. The others need real Slurm (a network, a
controller, real payloads); on the simulator a scenario holding them is refused with
that reason, unless the fault says ``on_sim: skip`` (then it is recorded and skipped).
"""

from __future__ import annotations

from workload.errors import InputError
from workload.fault import ACTIONS, NEEDS, SIM_ACTIONS, WHY_NOT_SIM, Fault
from workload.scenario.schema import Key, opt

KEYS = ("at_s", "action", "node", "link", "down_s", "factor", "on_sim")


def parse_faults(key: Key | None, node_names: set[str]) -> tuple[Fault, ...]:
    if key is None or key.value is None:
        return ()
    faults = tuple(_fault(item, node_names) for item in key.items())
    return tuple(sorted(faults, key=lambda f: f.at_s))


def _fault(key: Key, node_names: set[str]) -> Fault:
    keys = key.mapping(KEYS, required=("at_s", "action"))
    action = keys["action"].text(choices=ACTIONS)
    needs = NEEDS[action]
    if needs and needs not in keys:
        raise key.error(f"{action} needs {needs}: NAME")
    node = opt(keys, "node", "text", None)
    if node is not None and node not in node_names:
        raise keys["node"].error(f"no such node (the cluster has {_span(node_names)})")
    return Fault(keys["at_s"].number(low=0.0), action, node, opt(keys, "link", "text", None),
                 opt(keys, "down_s", "number", 0.0, low=0.0),
                 opt(keys, "factor", "number", 1.0, low=1.0),
                 opt(keys, "on_sim", "text", "error", choices=("error", "skip")), key.path)


def _span(names: set[str]) -> str:
    ordered = sorted(names)
    return f"{ordered[0]}..{ordered[-1]}" if len(ordered) > 1 else ordered[0]


def sim_faults(faults: tuple[Fault, ...], file: str) -> tuple[Fault, ...]:
    """The faults the simulator applies; InputError for one it cannot and must not skip."""
    for fault in faults:
        if fault.action not in SIM_ACTIONS and fault.on_sim == "error":
            raise InputError(f"{fault.action} cannot run on the simulator: "
                             f"{WHY_NOT_SIM[fault.action]}; use --backend slurm, or add "
                             f"'on_sim: skip' to this fault", file=file, field=fault.where,
                             value=fault.action)
    return tuple(f for f in faults if f.action in SIM_ACTIONS)
