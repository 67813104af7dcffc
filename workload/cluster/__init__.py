"""A real Slurm cluster in containers (podman, or docker where it exists).

Public API (what the Slurm backends and tests use):

    Cluster.load(name) -> Cluster          a started cluster: exec, rest_url, token(),
                                           slurm_version, describe(), add_users(),
                                           monitoring (Endpoints or None)
    up(ClusterSpec(...), timeout=180) -> Cluster    start (no-op when already up);
                                           ClusterSpec(monitoring=True) adds graphite
                                           and a JSON-lines log receiver
    down(name) -> bool                     remove everything (no-op when gone)
    session(spec) -> Session               a `with`: up or reuse, cancel tracked jobs,
                                           down when it made the cluster
    reap() -> list[str]                    down the clusters of dead sessions
    Cluster.running(name) -> Cluster|None  the one "is cluster X running"
    ensure_image(engine, suite) -> str     build the Slurm image when missing/stale
    ensure_monitoring_image(engine) -> str the same for the monitoring image
    wait_for(predicate, timeout, what)     the one polling helper

The CLI is `wlgen cluster ...` (workload/cli/cluster.py); `python3 -m workload.cluster
build` builds images with the standard library only (CI runs it before any pip install).
Names are imported lazily, so importing this package pulls in nothing else.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Cluster": "workload.cluster.cluster",
    "ClusterSpec": "workload.cluster.config",
    "SUITES": "workload.cluster.config",
    "ensure_image": "workload.cluster.images",
    "ensure_monitoring_image": "workload.cluster.images",
    "up": "workload.cluster.lifecycle",
    "down": "workload.cluster.lifecycle",
    "wait_for": "workload.cluster.wait",
    "session": "workload.cluster.sessions",
    "Session": "workload.cluster.sessions",
    "reap": "workload.cluster.sessions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'workload.cluster' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value   # once: a submodule of the same name must not shadow it
    return value
