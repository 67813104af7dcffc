"""One way for a test suite to own a real container cluster for its session.

Fresh at the start (a leftover of the same name is removed first), every job the tests
recorded in ``submitted`` cancelled at the end, then the cluster removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from workload.cluster import Cluster, ClusterSpec, down, up


@contextmanager
def session_cluster(spec: ClusterSpec, submitted: list[str],
                    before_down: Callable[[Cluster], None] | None = None) -> Iterator[Cluster]:
    down(spec.name)
    cluster = up(spec, timeout=300)
    try:
        yield cluster
    finally:
        for job in submitted:
            cluster.exec("ctld", ["scancel", job])
        if before_down:
            before_down(cluster)
        down(spec.name)
