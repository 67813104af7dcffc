"""One way for a test suite to own a real container cluster for its session.

Every test cluster is named with ``per_run_name``, so test runs that overlap on one
machine never share a cluster (and never remove each other's). Fresh at the start (a
leftover of the same name is removed first), every job the tests recorded in
``submitted`` cancelled at the end, then the cluster removed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from workload.cluster import Cluster, ClusterSpec, down, up

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
    down(spec.name)
    try:
        cluster = up(spec, timeout=300)
        try:
            yield cluster
        finally:
            _clean(cluster, submitted, before_down)
    finally:
        # Even when up or the clean-up failed: a failed up leaves its containers, and
        # the next run's per-run name would never remove them.
        down(spec.name)


def _clean(cluster: Cluster, submitted: list[str],
           before_down: Callable[[Cluster], None] | None) -> None:
    # A cluster removed under the tests (by hand, or by a run that shared its name) has
    # no jobs to cancel and no cables to plug back: cleaning it could only fail. One
    # with any container left is cleaned; a failure there is real.
    if cluster.container_states():
        for job in submitted:
            cluster.exec("ctld", ["scancel", job])
        if before_down:
            before_down(cluster)
