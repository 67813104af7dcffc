"""Where a node's interfaces are: its container's pid (for nsenter) and its veth's host end.

The node's ``eth0`` lives in the container's network namespace, entered from the host
with ``nsenter -t PID -n`` (no capability is needed inside the container, and the host's
own tc/ip/ethtool are used, so the node image needs none of them). The other end of the
veth is on the cluster's bridge in the host namespace.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Sequence

from workload.cluster import Cluster
from workload.cluster import proc
from workload.errors import ClusterError
from workload.fabric.shaping import NODE_DEV, Step

log = logging.getLogger(__name__)


def node_pid(cluster: Cluster, node: str) -> int:
    """The pid of ``node``'s container's init process, as seen from the host."""
    argv = [cluster.engine.name, "inspect", "--format", "{{.State.Pid}}",
            cluster.container(node)]
    pid = proc.text(cluster.engine, argv, timeout=30)
    if not pid.isdigit() or int(pid) == 0:
        raise ClusterError(f"node {node} of cluster {cluster.name} is not running "
                           f"(pid {pid!r})")
    return int(pid)


def ns_argv(pid: int | None, argv: Sequence[str]) -> list[str]:
    """``argv`` run in the network namespace of ``pid`` (or as is when pid is None)."""
    return list(argv) if pid is None else ["nsenter", "-t", str(pid), "-n", *argv]


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 30) -> str:
    """Run a host command; with ``check`` a failure raises ClusterError quoting stderr."""
    log.debug("run: %s", " ".join(argv))
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              check=False)
    except FileNotFoundError as err:
        raise ClusterError(f"{argv[0]} is not installed (apt-get install iproute2 ethtool "
                           "util-linux; .ci/setup.d/45-fabric.sh does it)") from err
    except subprocess.TimeoutExpired as err:
        raise ClusterError(f"`{' '.join(argv[:6])}` did not finish in {timeout:g} s") from err
    if check and done.returncode != 0:
        raise ClusterError(f"`{' '.join(argv)}` failed (exit {done.returncode}): "
                           f"{proc.last_line(done.stderr)}")
    return done.stdout


def run_step(step: Step, pids: dict[str, int]) -> str:
    pid = pids[step.node] if step.node is not None else None
    return run(ns_argv(pid, step.argv), check=step.check)


def host_veth(pid: int) -> str:
    """The host-side name of the veth whose other end is ``eth0`` in ``pid``'s netns."""
    inside = json.loads(run(ns_argv(pid, ["ip", "-j", "link", "show", "dev", NODE_DEV])))
    peer = inside[0].get("link_index")
    if peer is None:
        raise ClusterError(f"{NODE_DEV} in pid {pid}'s namespace is not a veth")
    for link in json.loads(run(["ip", "-j", "link", "show"])):
        if link["ifindex"] == peer:
            return link["ifname"]
    raise ClusterError(f"no host interface with ifindex {peer} (peer of pid {pid}'s "
                       f"{NODE_DEV})")


def locate(cluster: Cluster) -> tuple[dict[str, int], dict[str, str]]:
    """(node -> pid, node -> host veth) for every node of ``cluster``."""
    pids = {node: node_pid(cluster, node) for node in cluster.spec.node_hosts}
    return pids, {node: host_veth(pid) for node, pid in pids.items()}
