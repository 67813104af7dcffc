"""Faults on the fabric: a link down/up, a node unplugged (and replugged), a slow node.

A link is cut at the switch side: the host end of the node's veth is set down, so the
node's ``eth0`` loses carrier but keeps its addresses and routes (setting ``eth0`` itself
down would drop the container's routes, which `up` does not bring back). Shaping rules
survive a down/up. A slow node gets a CPU quota through the container engine
(`podman update --cpus`, cgroup CPU bandwidth), live.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from workload.cluster import Cluster, nodes, proc, wait_for
from workload.errors import InputError
from workload.fabric import apply, netns

Say = Callable[[dict], None]


def _event(kind: str, node: str, **extra: object) -> dict:
    return {"time": round(time.time(), 3), "kind": kind, "node": node, **extra}


def _noted(cluster: Cluster, event: dict) -> dict:
    """``event``, also as a Graphite annotation and a receiver event when the cluster has
    monitoring (workload/cluster/collect/annotate.py; it never stops the fault)."""
    from workload.cluster.collect import annotate
    extra = {k: str(v) for k, v in event.items() if k not in ("time", "kind", "node")}
    annotate.fault(cluster.monitoring, cluster.name, event["kind"], event["node"],
                   when=event["time"], detail=extra)
    return event


def veth_of(cluster: Cluster, node: str) -> str:
    """The host end of ``node``'s veth (from the applied fabric, else looked up)."""
    if node not in cluster.spec.node_names:
        raise InputError(f"must be a node of cluster {cluster.name} "
                         f"(n1..n{cluster.spec.nodes})", field="node", value=node)
    record = apply.load(cluster)
    if record and node in record["veths"]:
        return record["veths"][node]
    return netns.host_veth(netns.node_pid(cluster, node))


def link(cluster: Cluster, node: str, up: bool) -> dict:
    """Plug (``up``) or pull the cable between ``node`` and its switch."""
    netns.run(["ip", "link", "set", veth_of(cluster, node), "up" if up else "down"])
    return _noted(cluster, _event("link_up" if up else "link_down", node))


def unplug(cluster: Cluster, node: str, seconds: float | None = None, *,
           wait_slurm: float = 120.0, say: Say = lambda event: None) -> list[dict]:
    """Pull ``node``'s cable; with ``wait_slurm`` > 0 wait until Slurm notices. With
    ``seconds`` plug it back after that long (counted from the pull), see :func:`replug`.
    Returns the events, in order (each also passed to ``say``)."""
    events: list[dict] = []

    def note(event: dict) -> None:
        events.append(event)
        say(event)

    start = time.monotonic()
    note(link(cluster, node, up=False))
    if wait_slurm > 0:
        commands = nodes.CtldCommands(cluster)
        seen = wait_for(lambda: (s := nodes.show(commands, node)).lost and s, wait_slurm,
                        f"Slurm to notice that {node} is unplugged", interval=1.0)
        note(_noted(cluster, _event("slurm_down", node, state=str(seen))))
    if seconds is None:
        return events
    time.sleep(max(0.0, seconds - (time.monotonic() - start)))
    events += replug(cluster, node, wait_slurm=wait_slurm, say=say)
    return events


def replug(cluster: Cluster, node: str, *, wait_slurm: float = 120.0,
           say: Say = lambda event: None) -> list[dict]:
    """Plug ``node`` back and, with ``wait_slurm`` > 0, return it to service.

    Slurm 22.05 here kept a node that had been "Not responding" DOWN for minutes after its
    link came back (ReturnToService=2 notwithstanding), with the orphaned ranks of its
    failed job still spinning; `scontrol update State=RESUME`, what an admin does after
    fixing a cable, brings it back at once; `scontrol reconfigure` then makes its slurmd
    register again, and on that registration slurmctld kills the failed job's orphaned
    steps (RESUME alone left them spinning)."""
    events = [link(cluster, node, up=True)]
    say(events[-1])
    if wait_slurm <= 0:
        return events

    def resumed(detail: str) -> None:
        cluster.slurm(["scontrol", "reconfigure"])
        events.append(_noted(cluster, _event("slurm_resume", node, detail=detail)))
        say(events[-1])

    # The node may come back by itself (ReturnToService) at any moment, or be marked
    # DOWN only now (SlurmdTimeout): return_to_service decides from its state each poll.
    state = nodes.return_to_service(nodes.CtldCommands(cluster), node, wait_slurm,
                                    on_resume=resumed)
    events.append(_noted(cluster, _event("slurm_up", node, state=str(state))))
    say(events[-1])
    return events


def slow(cluster: Cluster, node: str, cpus: float) -> dict:
    """Throttle ``node``'s container to ``cpus`` cores (0: as many as the host has)."""
    if cpus < 0:
        raise InputError("must be >= 0 (0 lifts the limit)", field="cpus", value=cpus)
    veth_of(cluster, node)   # validates the node name
    # podman 4.3 ignores `--cpus 0` and `--cpu-quota -1` on a running container: lifting
    # the limit means a quota of every host core, which no container can exceed anyway.
    quota = cpus or float(os.cpu_count() or 1)
    proc.run(cluster.engine, [cluster.engine.name, "update", "--cpus", f"{quota:g}",
                              cluster.container(node)], timeout=60)
    return _noted(cluster, _event("slow", node, cpus=quota))
