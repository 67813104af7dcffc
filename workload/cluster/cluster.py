"""A running cluster as seen from the host: the API the Slurm backends use.

    from workload.cluster import Cluster
    c = Cluster.load("wlgen")
    c.exec("ctld", ["sbatch", "--parsable", "--wrap", "hostname"])   # CompletedProcess
    c.rest_url, c.token(user="root")                                 # slurmrestd + JWT
    c.describe()                                                     # ClusterInfo
    c.monitoring                       # Endpoints (graphite, graphite_web, logstash) or None
    Cluster.running("wlgen")           # the handle if every container runs, else None
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path

from workload.backends.base import ClusterInfo, NodeInfo
from workload.cluster import monitoring, proc, secrets, state
from workload.cluster.config import PARTITION, SERVICES, ClusterSpec
from workload.cluster.engine import Engine
from workload.errors import ClusterError

LABEL = "wlgen.cluster"


class Cluster:
    """Handle on a cluster started by `wlgen cluster up` (or lifecycle.up)."""

    def __init__(self, spec: ClusterSpec, facts: dict | None = None) -> None:
        self.spec = spec
        self.facts = dict(facts or {})

    @classmethod
    def load(cls, name: str = "wlgen") -> Cluster:
        """The cluster ``name`` from its state dir; ClusterError if it was never started."""
        data = state.load(name)
        if data is None:
            raise ClusterError(f"no cluster named {name!r}: start one with "
                               f"`wlgen cluster up --name {name}`")
        return cls(ClusterSpec.from_dict(data["spec"]), data.get("facts"))

    @classmethod
    def running(cls, name: str) -> Cluster | None:
        """The cluster ``name`` when every one of its containers runs, else None (never
        started, half up, removed, or the engine unreachable). The one "is X running"."""
        try:
            cluster = cls.load(name)
            return cluster if cluster.is_running() else None
        except (ClusterError, OSError):
            return None

    def save(self) -> None:
        state.save(self.spec.name, {"spec": self.spec.to_dict(), "facts": self.facts})

    # -- where things are ------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def engine(self) -> Engine:
        return proc.make_engine(self.spec.engine)

    @property
    def dir(self) -> Path:
        return state.cluster_dir(self.name)

    @property
    def rest_url(self) -> str:
        """slurmrestd, published on the host's loopback only."""
        return f"http://127.0.0.1:{self.spec.rest_port}"

    @property
    def hosts(self) -> list[str]:
        """Every container host of the cluster: services (db, ctld, rest) then the node
        containers (n1..nN; c1..cM with several slurmd a container)."""
        return [*SERVICES, *self.spec.node_hosts]

    @property
    def monitoring_hosts(self) -> list[str]:
        """The monitoring containers' host names (graphite, logs) when it has them."""
        return list(monitoring.HOSTS) if self.spec.monitoring else []

    @property
    def monitoring(self) -> monitoring.Endpoints | None:
        """Host endpoints of graphite, graphite-web and the log receiver (`--monitoring`)."""
        return monitoring.Endpoints.from_facts(self.facts) if self.spec.monitoring else None

    def container(self, host: str) -> str:
        """Container name for a host name (`ctld`, `n2`, `graphite`); full container names
        pass through."""
        known = self.hosts + self.monitoring_hosts
        if host in known:
            return self.spec.container(host)
        if self.spec.nodes_per_container > 1 and host in self._node_set:
            return self.spec.container(self.spec.node_host(host))   # the node's container
        if host.startswith(self.name + "-") and host[len(self.name) + 1:] in known:
            return host
        extra = "".join(", " + h for h in self.monitoring_hosts)
        raise ClusterError(f"no host {host!r} in cluster {self.name}: one of "
                           f"{', '.join(SERVICES)}, n1..n{self.spec.nodes}{extra}")

    @cached_property
    def _node_set(self) -> frozenset[str]:
        return frozenset(self.spec.node_names)

    # -- running commands --------------------------------------------------------------
    def exec_argv(self, host: str, argv: Sequence[str], *, interactive: bool = False,
                  tty: bool = False, user: str | None = None) -> list[str]:
        """The engine argv that runs ``argv`` in ``host``; run it with :meth:`exec_env`."""
        return self.engine.exec(self.container(host), argv, interactive=interactive, tty=tty,
                                user=user)

    def exec_env(self) -> dict[str, str]:
        """The environment ``exec_argv`` must run with (podman: CONTAINERS_CONF)."""
        return self.engine.env(os.environ)

    def exec(self, host: str, argv: Sequence[str], *, input: bytes | None = None,
             user: str | None = None, timeout: float | None = 120,
             check: bool = False) -> subprocess.CompletedProcess:
        """Run ``argv`` (a list, never a shell string) in ``host``; stdout/stderr captured
        as bytes. With ``check`` a non-zero exit raises ClusterError."""
        full = self.exec_argv(host, argv, interactive=input is not None, user=user)
        return proc.run(self.engine, full, input=input, timeout=timeout, check=check)

    def slurm(self, argv: Sequence[str], **kwargs) -> str:
        """stdout of a Slurm client command run on the controller; raises on failure."""
        return self.exec("ctld", argv, check=True, **kwargs).stdout.decode()

    def logs(self, host: str, tail: int = 20) -> str:
        done = proc.run(self.engine, self.engine.logs(self.container(host), tail), check=False)
        return (done.stdout + done.stderr).decode(errors="replace").rstrip()

    # -- what it is ----------------------------------------------------------------------
    def token(self, user: str = "root", lifespan: int = 3600) -> str:
        """A JWT for ``user`` signed with this cluster's key (for slurmrestd)."""
        key = (self.dir / "secrets" / secrets.JWT_KEY).read_bytes()
        return secrets.sign_jwt(key, user, lifespan)

    @property
    def slurm_version(self) -> str:
        """Slurm's version in the cluster, e.g. "22.05.8" (asked once, then saved)."""
        if not self.facts.get("slurm_version"):
            self.remember_slurm_version()
        return self.facts["slurm_version"]

    def remember_slurm_version(self) -> None:
        out = self.slurm(["sinfo", "--version"])
        found = re.search(r"(\d+\.\d+\.\d+)", out)
        if not found:
            raise ClusterError(f"cannot read Slurm's version from {out.strip()!r}")
        self.facts["slurm_version"] = found.group(1)
        self.save()

    def describe(self) -> ClusterInfo:
        nodes = tuple(NodeInfo(n, self.spec.cpus, self.spec.mem_mb, (PARTITION,),
                               self.spec.gpus, self.spec.gpu_type or None)
                      for n in self.spec.node_names)
        return ClusterInfo(self.name, nodes, PARTITION, self.facts.get("slurm_version"))

    def add_users(self, names: Sequence[str]) -> dict[str, int]:
        """Create ``names`` on every host (same uid everywhere) and as Slurm users of
        account `wlgen`; idempotent. Returns name -> uid."""
        from workload.cluster.users import add_users
        return add_users(self, names)

    def add_accounts(self, accounts: Mapping[str, tuple[int, Sequence[str]]]) -> None:
        """Slurm accounts ``{name: (fairshare, users)}`` with their users (created on
        every host first); idempotent, returns once slurmctld knows them."""
        from workload.cluster.users import add_accounts
        add_accounts(self, accounts)

    def container_states(self) -> dict[str, str]:
        """container name -> engine state ("running", "exited", ...) of this cluster."""
        out = proc.text(self.engine, self.engine.list_containers(f"{LABEL}={self.name}"))
        return self.engine.parse_containers(out)

    def is_running(self) -> bool:
        states = self.container_states()
        wanted = [self.spec.container(h) for h in self.hosts + self.monitoring_hosts]
        return all(states.get(c) == "running" for c in wanted)

    def node_states(self) -> dict[str, str]:
        """node -> Slurm state (idle, alloc, down*, ...) from sinfo; {} if ctld is not up."""
        done = self.exec("ctld", ["sinfo", "-h", "-N", "-o", "%N %T"], timeout=30)
        if done.returncode != 0:
            return {}
        return dict(line.split(None, 1) for line in done.stdout.decode().splitlines()
                    if line.strip())
