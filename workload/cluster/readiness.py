"""Waiting for a starting cluster, and saying which daemon failed when it does not start.

Stages, in the order the daemons depend on each other: slurmdbd answers, slurmctld has
registered the cluster with it, every slurmd is idle, slurmrestd answers. Any container
that exits meanwhile stops the wait at once with its daemon's last log lines.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

from workload.cluster.cluster import Cluster
from workload.cluster.wait import wait_for
from workload.errors import ClusterError

DAEMONS = {"db": "MariaDB/slurmdbd", "ctld": "slurmctld", "rest": "slurmrestd"}
LOG_LINES = 15


class DaemonExited(ClusterError):
    """A container of the cluster stopped while we waited for it."""


def daemon(host: str) -> str:
    return DAEMONS.get(host, "slurmd")


def wait_ready(cluster: Cluster, timeout: float) -> None:
    """Return when the cluster is usable; ClusterError naming the failed daemon if not."""
    deadline = time.monotonic() + timeout
    stages: list[tuple[str, Callable[[], object]]] = [
        ("db", lambda: _sacctmgr_clusters(cluster) is not None),
        ("ctld", lambda: cluster.name in (_sacctmgr_clusters(cluster) or [])),
        ("nodes", lambda: _all_idle(cluster)),
        ("rest", lambda: _http_answers(cluster.rest_url)),
    ]
    for stage, check in stages:
        def predicate(check=check) -> object:
            _raise_if_exited(cluster)
            return check()
        try:
            wait_for(predicate, max(deadline - time.monotonic(), 0.5), _what(cluster, stage),
                     interval=0.25)
        except DaemonExited:
            raise
        except ClusterError as err:
            raise ClusterError(_stalled(cluster, stage, timeout)) from err


def _what(cluster: Cluster, stage: str) -> str:
    return {"db": "slurmdbd to answer", "ctld": "slurmctld to register with slurmdbd",
            "nodes": "every slurmd to be idle",
            "rest": f"slurmrestd on {cluster.rest_url}"}[stage]


def _sacctmgr_clusters(cluster: Cluster) -> list[str] | None:
    done = cluster.exec("ctld", ["sacctmgr", "-n", "-P", "list", "cluster", "format=cluster"],
                        timeout=30)
    return done.stdout.decode().split() if done.returncode == 0 else None


def _all_idle(cluster: Cluster) -> bool:
    states = cluster.node_states()
    return bool(states) and all(states.get(n) == "idle" for n in cluster.spec.node_names)


def _http_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url + "/", timeout=2).close()
    except urllib.error.HTTPError:
        return True  # 401/404 still means slurmrestd is serving
    except OSError:
        return False
    return True


def _raise_if_exited(cluster: Cluster) -> None:
    states = cluster.container_states()
    for host in cluster.hosts:
        name = cluster.spec.container(host)
        if states.get(name, "missing") not in ("running", "created", "configured"):
            raise DaemonExited(
                f"{daemon(host)} on {host} stopped (container {name}: "
                f"{states.get(name, 'missing')}); " + log_tail(cluster, host))


def _stalled(cluster: Cluster, stage: str, timeout: float) -> str:
    if stage == "nodes":
        states = cluster.node_states()
        if states:
            late = [n for n in cluster.spec.node_names if states.get(n) != "idle"]
            host = late[0]
            return (f"slurmd on {', '.join(late[:8])} not idle after {timeout:g} s "
                    f"(state of {host}: {states.get(host, 'unknown')}); "
                    + log_tail(cluster, host))
        stage = "ctld"
    host = "ctld" if stage == "ctld" else stage
    return f"{daemon(host)} on {host} not ready after {timeout:g} s; " + log_tail(cluster, host)


def log_tail(cluster: Cluster, host: str) -> str:
    text = cluster.logs(host, LOG_LINES) or "(empty)"
    lines = "\n".join("    " + line for line in text.splitlines())
    return f"last lines of its log ({cluster.engine.name} logs {cluster.container(host)}):\n{lines}"
