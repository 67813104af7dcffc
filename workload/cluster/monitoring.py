"""The monitoring stack next to a cluster: Graphite and a JSON-lines log receiver.

`wlgen cluster up --monitoring` starts two containers of the monitoring image on the
cluster's network, at fixed addresses after the Slurm services:

    NAME-graphite  10.213.X.5  carbon-cache :2003 + graphite-web :8080 (gunicorn), with
                               the cluster's dashboard (workload/cluster/dashboard.py)
    NAME-logs      10.213.X.6  rsyslog :5000 TCP+UDP, JSON lines -> received.jsonl

Each port is published on a free 127.0.0.1 port; the host addresses are saved in the
cluster's facts (``facts["monitoring"]``) and become the sink settings of any run that
names the cluster (``--cluster NAME``, default ``wlgen``): see :func:`sink_settings`
and workload/sinks/config.py. The receiver writes to a bind mount in the cluster's state
dir, so the file is readable from the host; `down` removes it with everything else.

This module imports only the standard library (the sinks' option resolution uses it).
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workload.cluster import images, proc, state
from workload.cluster.config import ClusterSpec
from workload.cluster.engine import ContainerSpec
from workload.cluster.ports import answers, free_port
from workload.cluster.wait import wait_for
from workload.errors import ClusterError

if TYPE_CHECKING:
    from workload.cluster.cluster import Cluster

#: host name -> (last octet of its fixed address, the image's role)
HOSTS = {"graphite": (5, "graphite"), "logs": (6, "receiver")}
CARBON_PORT, WEB_PORT, RECEIVER_PORT = 2003, 8080, 5000
OUTPUT_DIR = "/var/log/wlgen"  # in the receiver container
RECEIVED = "received.jsonl"
SINK_SPOOL = "sink-spool"  # in the state dir's monitoring/: the runs' shared spool


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the host reaches a cluster's monitoring (saved as facts["monitoring"])."""

    carbon_port: int
    web_port: int
    receiver_port: int
    received: str  # host path of the receiver's output file

    @property
    def graphite(self) -> str:
        return f"127.0.0.1:{self.carbon_port}"

    @property
    def graphite_web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def logstash(self, scheme: str = "tcp") -> str:
        return f"{scheme}://127.0.0.1:{self.receiver_port}"

    @property
    def spool_dir(self) -> str:
        """Where every run to this monitoring parks what it could not deliver yet: one
        directory, so the next run sends what an earlier one left (workload/sinks/
        delivery.py); in the cluster's state dir, so `down` removes it with the cluster."""
        return str(Path(self.received).parent / SINK_SPOOL)

    def sink_settings(self) -> dict[str, str]:
        """SinkOptions field -> value: the layer workload/sinks/config.py merges."""
        return {"graphite": self.graphite, "graphite_web": self.graphite_web,
                "logstash": self.logstash(), "spool_dir": self.spool_dir}

    def env_lines(self) -> list[str]:
        """Shell lines that wire any later run (or another tool) to this monitoring."""
        return [f"export WLGEN_GRAPHITE={self.graphite}",
                f"export WLGEN_GRAPHITE_WEB={self.graphite_web}",
                f"export WLGEN_LOGSTASH={self.logstash()}"]

    def describe(self) -> dict[str, str]:
        return {"graphite": self.graphite, "graphite_web": self.graphite_web,
                "logstash_tcp": self.logstash("tcp"), "logstash_udp": self.logstash("udp"),
                "received": self.received}

    @classmethod
    def from_facts(cls, facts: dict) -> Endpoints | None:
        saved = facts.get("monitoring")
        if not saved:
            return None
        return cls(**{k: saved[k] for k in cls.__dataclass_fields__})


def hosts(spec: ClusterSpec) -> dict[str, str]:
    """Monitoring host name -> fixed address on the cluster's network."""
    return {host: f"10.213.{spec.subnet}.{octet}" for host, (octet, _) in HOSTS.items()}


def output_dir(cluster_dir: Path) -> Path:
    """Host side of the receiver's bind mount (inside the state dir: `down` removes it)."""
    return cluster_dir / "monitoring"


def container_specs(cluster: Cluster, image: str, ends: Endpoints) -> list[ContainerSpec]:
    spec, addrs = cluster.spec, hosts(cluster.spec)
    publish: dict[str, tuple[tuple[str, int, int | str], ...]] = {
        "graphite": (("127.0.0.1", ends.carbon_port, CARBON_PORT),
                     ("127.0.0.1", ends.web_port, WEB_PORT)),
        "logs": (("127.0.0.1", ends.receiver_port, f"{RECEIVER_PORT}/tcp"),
                 ("127.0.0.1", ends.receiver_port, f"{RECEIVER_PORT}/udp")),
    }
    mounts = {"graphite": (), "logs": ((str(output_dir(cluster.dir)), OUTPUT_DIR, False),)}
    return [ContainerSpec(
        name=spec.container(host), image=image, hostname=host, network=spec.network,
        ip=addrs[host], command=(role,), hosts={**spec.hosts(), **addrs},
        # cluster.LABEL (not imported: cluster.py imports this module): down() finds it.
        labels={"wlgen.cluster": spec.name, "wlgen.role": role},
        mounts=mounts[host], publish=publish[host]) for host, (_, role) in HOSTS.items()]


def launch(cluster: Cluster, image: str) -> Endpoints:
    """Run the monitoring containers (not waiting for them); saves the endpoints."""
    ends = Endpoints(free_port(), free_port(), free_port(udp_too=True),
                     str(output_dir(cluster.dir) / RECEIVED))
    output_dir(cluster.dir).mkdir(parents=True, exist_ok=True)
    engine = cluster.engine
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda c: proc.run(engine, engine.run(c)),
                      container_specs(cluster, image, ends)))
    cluster.facts["monitoring"] = dataclasses.asdict(ends)
    cluster.save()
    return ends


def wait_ready(cluster: Cluster, ends: Endpoints, timeout: float) -> None:
    """Return when carbon, graphite-web and the receiver answer on their host ports, with
    the cluster's dashboard saved in graphite-web; ClusterError with the container's log
    when one exits or stays silent."""
    checks = {"graphite": lambda: answers(ends.carbon_port) and _web_answers(ends),
              "logs": lambda: answers(ends.receiver_port)}
    deadline = time.monotonic() + timeout
    for host, check in checks.items():
        def predicate(check=check, host=host) -> bool:
            _raise_if_exited(cluster, host)
            return check()
        try:
            wait_for(predicate, max(deadline - time.monotonic(), 0.5),
                     f"{host} ({cluster.container(host)}) to answer", interval=0.2)
        except ClusterError as err:
            # Imported here: readiness imports Cluster, which imports this module.
            from workload.cluster.readiness import log_tail
            raise ClusterError(f"{err}; {log_tail(cluster, host)}") from None
    load_dashboard(cluster, ends)


def load_dashboard(cluster: Cluster, ends: Endpoints) -> str:
    """Save the cluster's dashboard in its graphite-web (workload/cluster/dashboard.py);
    returns its URL. Saved again it is replaced: the definition follows the code."""
    from workload.cluster import dashboard
    from workload.cluster.config import PARTITION
    # The node containers: what the CPU and fabric layers are named by (c1..cM with
    # several slurmd a container), n1..nN otherwise.
    return dashboard.save(ends.graphite_web, cluster.name, cluster.spec.node_hosts,
                          [PARTITION])


def _web_answers(ends: Endpoints) -> bool:
    """graphite-web renders (an empty list for a metric that does not exist)."""
    url = f"{ends.graphite_web}/render?target=wlgen.ready&format=json"
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return json.load(answer) == []
    except (OSError, ValueError):
        return False  # not serving yet (refused, reset, or an error page)


def _raise_if_exited(cluster: Cluster, host: str) -> None:
    name = cluster.container(host)
    found = cluster.container_states().get(name, "missing")
    if found not in ("running", "created", "configured"):
        raise ClusterError(f"monitoring container {name} stopped ({found})")


def start(cluster: Cluster, *, timeout: float = 120, base: str | None = None,
          progress: images.Progress = lambda msg: None) -> Endpoints:
    """Add the monitoring stack to a running cluster (the image is built if needed)."""
    image = images.ensure_monitoring_image(cluster.engine, base=base, progress=progress)
    cluster.spec = dataclasses.replace(cluster.spec, monitoring=True)
    ends = launch(cluster, image)
    wait_ready(cluster, ends, timeout)
    return ends


def endpoints(name: str) -> Endpoints | None:
    """The saved monitoring endpoints of cluster ``name`` (None: none, or not up)."""
    saved = state.load(name)
    return Endpoints.from_facts(saved.get("facts") or {}) if saved else None


def sink_settings(name: str) -> dict[str, str]:
    """The sink settings cluster ``name``'s monitoring offers, when it answers now.

    {} when the cluster does not exist, has no monitoring, or its carbon port is closed
    (a state dir outliving its containers, e.g. after a reboot, must not send a run's
    records into a spool that never drains)."""
    ends = endpoints(name)
    if ends is None or not answers(ends.carbon_port, timeout=0.3):
        return {}
    return ends.sink_settings()
