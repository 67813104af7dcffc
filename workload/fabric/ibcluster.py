"""The IB view of a running cluster: a detached daemon that owns ibsim + opensm for the
applied fabric and mirrors the links into them every interval.

`wlgen fabric ibsim start` runs ``python -m workload.fabric.ibcluster NAME INTERVAL`` in
its own session; the daemon starts the simulator (:class:`workload.fabric.ibsim.Sim`),
writes ``ibsim/state.json`` in the cluster's state dir (its pid, ibsim's and opensm's, the
socket name) and then, each tick, sets every port's counters from the links and
``Unlink``s the HCA of each node whose cable is pulled (its host veth is down: both
`wlgen fabric unplug` and `wlgen fabric link NODE down`), ``ReLink``-ing it when back.
`stop` ends the daemon (which ends its simulator) and then any of the three pids still
running, each checked against its command line first (a pid can be reused).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from workload.cluster import Cluster, wait_for
from workload.errors import ClusterError
from workload.fabric import apply, ibnet, netns
from workload.fabric.counters import read_ports
from workload.fabric.ibsim import Sim, client_env
from workload.fabric.topology import Topology
from workload.fabric.watch import ticks

log = logging.getLogger(__name__)
MODULE = "workload.fabric.ibcluster"
_IFF_UP = 0x1
STATE_FILE = "state.json"


def workdir(cluster: Cluster) -> Path:
    return cluster.dir / "ibsim"   # removed with the state dir by `wlgen cluster down`


def sockname(cluster: Cluster) -> str:
    """Abstract socket names are host-wide: the cluster's name keeps them apart."""
    return f"ibsim-{cluster.name}"


def env(cluster: Cluster) -> dict[str, str]:
    """The environment the infiniband-diags tools need to see ``cluster``'s fabric."""
    return client_env(sockname(cluster))


def _state_path(cluster: Cluster) -> Path:
    return workdir(cluster) / STATE_FILE


def has_state(cluster_dir: Path) -> bool:
    """Whether a daemon was started for the cluster whose state dir is ``cluster_dir``."""
    return (cluster_dir / "ibsim" / STATE_FILE).exists()


def load_state(cluster: Cluster) -> dict | None:
    try:
        return json.loads(_state_path(cluster).read_text())
    except (FileNotFoundError, ValueError):
        return None


def link_down(veth: str) -> bool:
    """A pulled cable: the host end of the node's veth is administratively down (or gone)."""
    try:
        flags = int(Path(f"/sys/class/net/{veth}/flags").read_text(), 16)
    except (FileNotFoundError, ValueError):
        return True
    return not flags & _IFF_UP


def mirror_once(sim: Sim, topo: Topology, pids: Mapping[str, int], record: dict,
                was_down: set[str]) -> set[str]:
    """One tick: counters of every port, then links; returns the nodes now down."""
    down = {node for node, veth in record["veths"].items() if link_down(veth)}
    lines = ibnet.link_commands(sim.fabric, down, was_down)
    lines += ibnet.counter_commands(sim.fabric, read_ports(topo, pids, record["ifb_prefix"]))
    sim.send(lines)
    return down


def serve(name: str, interval_s: float) -> None:
    """The daemon's body: start the simulator, record it, mirror until SIGTERM."""
    cluster = Cluster.load(name)
    record = apply.require(cluster)
    topo = Topology.from_dict(record["topology"])
    pids = {node: netns.node_pid(cluster, node) for node in topo.nodes}
    sim = Sim(ibnet.build(topo, cluster.name), workdir(cluster), sockname(cluster))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # so that `finally` runs
    try:
        sim.start(f"cluster {cluster.name} ({topo.kind})")
        state = {"daemon": os.getpid(), **sim.pids, "sockname": sim.sockname,
                 "interval_s": interval_s, "topology": topo.kind, "started": time.time()}
        _state_path(cluster).write_text(json.dumps(state, indent=2) + "\n")
        down: set[str] = set()
        for _ in ticks(interval_s):
            try:
                down = mirror_once(sim, topo, pids, record, down)
            except ClusterError as err:       # a node restarting: try again next tick
                log.warning("mirror: %s", err)
    finally:
        sim.stop()


def start(cluster: Cluster, interval_s: float = 1.0, timeout: float = 60) -> dict:
    """Start the daemon for ``cluster``'s applied fabric; returns its state once ready."""
    apply.require(cluster)
    if is_running(cluster):
        raise ClusterError(f"the IB view of {cluster.name} is already running: "
                           f"`wlgen fabric ibsim stop --cluster {cluster.name}` first")
    work = workdir(cluster)
    work.mkdir(parents=True, exist_ok=True)
    _state_path(cluster).unlink(missing_ok=True)
    with (work / "daemon.log").open("ab") as out:
        daemon = subprocess.Popen([sys.executable, "-m", MODULE, cluster.name,
                                   str(interval_s)], stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)

    def ready() -> dict | None:
        if daemon.poll() is not None:
            text = (work / "daemon.log").read_text(errors="replace").strip()
            raise ClusterError(f"the IB view daemon exited ({daemon.returncode}): "
                               f"{text[-800:]}")
        return load_state(cluster)

    return wait_for(ready, timeout, f"the IB view of {cluster.name} to start", interval=0.2)


def is_ours(pid: int, marker: str) -> bool:
    """``pid`` runs and its command line mentions ``marker`` (not a reused pid)."""
    try:
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return False


def _markers(state: dict) -> list[tuple[int, str]]:
    return [(state[key], marker) for key, marker in
            (("daemon", MODULE), ("opensm", "opensm"), ("ibsim", "ibsim")) if key in state]


def is_running(cluster: Cluster) -> bool:
    state = load_state(cluster)
    return bool(state and is_ours(state["daemon"], MODULE))


def stop(cluster: Cluster, timeout: float = 15) -> bool:
    """End the daemon and its simulator; False when nothing was running."""
    state = load_state(cluster)
    if state is None:
        return False
    found = False
    for pid, marker in _markers(state):
        if is_ours(pid, marker):
            found = True
            os.kill(pid, signal.SIGTERM)
            try:
                wait_for(lambda p=pid, m=marker: not is_ours(p, m), timeout,
                         f"{marker} ({pid}) to end", interval=0.1)
            except ClusterError:
                os.kill(pid, signal.SIGKILL)
    _state_path(cluster).unlink(missing_ok=True)
    return found


def status(cluster: Cluster) -> dict:
    """Whether it runs, its processes, the tools' environment and each port's IB address."""
    state = load_state(cluster) or {}
    running = {marker: pid for pid, marker in _markers(state) if is_ours(pid, marker)}
    record = apply.load(cluster)
    ports = {}
    if record:
        fabric = ibnet.build(Topology.from_dict(record["topology"]), cluster.name)
        for port, (near, _) in fabric.ends.items():
            node = fabric.node(near.nodeid)
            ports[port] = {"nodeid": near.nodeid, "port": near.port, "desc": node.desc,
                           "port_guid": f"0x{node.port_guid(near.port):016x}"}
    return {"cluster": cluster.name, "running": bool(running) and MODULE in running,
            "pids": running, "env": env(cluster), "ports": ports}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    serve(sys.argv[1], float(sys.argv[2]))
