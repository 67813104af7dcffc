"""One way for the project's own tests to own a real container cluster for a session.

Every test cluster is named with ``per_run_name``, so test runs that overlap on one
machine never share a cluster (and never remove each other's). It lives as a
``workload.cluster.session`` made fresh (a leftover of the same name is removed first):
every job the tests recorded in ``submitted`` is cancelled at the end, then the cluster
removed, also when its up failed. A run killed before its end (SIGKILL) leaves its
cluster behind with a dead owner: ``reap_stale`` (called at every test session's start,
tests/conftest.py) removes those.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from workload.cluster import Cluster, ClusterSpec, session
from workload.testing.require import require

# Random rather than the pid: two runs in different pid namespaces (CI containers on
# one rootful podman) can share a pid. 6 hex digits keep the longest test name
# (wlgen-test-<token>-down, 22 characters) within ClusterSpec's 30.
RUN_TOKEN = secrets.token_hex(3)


def per_run_name(base: str) -> str:
    """``base`` for this test process only: ``wlgen-fabtest`` -> ``wlgen-fabtest-3fa91c``."""
    return f"{base}-{RUN_TOKEN}"


@contextmanager
def session_cluster(spec: ClusterSpec, submitted: list[str],
                    before_down: Callable[[Cluster], None] | None = None) -> Iterator[Cluster]:
    with session(spec, fresh=True, before_down=before_down) as current:
        try:
            yield current.cluster
        finally:
            for job in submitted:
                current.track_job(job)


@contextmanager
def owned_cluster(spec: ClusterSpec,
                  before_down: Callable[[Cluster], object] | None = None) -> Iterator[Cluster]:
    """``spec`` made fresh and owned by this process (so a SIGKILLed run's leftover is
    reaped by the next), ``before_down`` called on it, then removed: also when up failed.
    For fixtures that cancel their jobs their own way rather than by tracked id."""
    cleanup = (lambda cluster: None) if before_down is None else before_down
    with session(spec, fresh=True, before_down=cleanup) as current:
        yield current.cluster


@contextmanager
def monitored_cluster(name: str) -> Iterator[Cluster]:
    """A fresh 1-node cluster ``name`` with monitoring (carbon, graphite-web, the log
    receiver), owned and removed as by ``owned_cluster``; skips without an engine."""
    require("cluster")
    with owned_cluster(ClusterSpec(name=name, nodes=1, cpus=2, mem_mb=512,
                                   monitoring=True)) as cluster:
        yield cluster
