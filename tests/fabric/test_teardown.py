"""The session cluster's teardown: quiet on a cluster removed under it, loud on a live one,
and no cluster left behind by an `up` that failed.

Overlapping test runs once shared a cluster name, and one run's teardown removed the
other's cluster; the survivor's plug-back then failed with "no such container".
"""

from __future__ import annotations

import subprocess

import pytest

from workload.testing.require import require
from tests.clusters import per_run_name, session_cluster
from workload.cluster import Cluster, ClusterSpec, down
from workload.errors import ClusterError

from .conftest import plug_back_and_clear

pytestmark = [pytest.mark.podman, pytest.mark.root]


def small(base: str) -> ClusterSpec:
    return ClusterSpec(name=per_run_name(base), nodes=1, cpus=1, mem_mb=256)


def test_a_cluster_removed_under_its_session_tears_down_without_error() -> None:
    require("cluster", "fabric")
    spec = small("wlgen-gone")
    with session_cluster(spec, ["1"], before_down=plug_back_and_clear) as cluster:
        assert down(spec.name)          # what the overlapping run's teardown did
    assert cluster.container_states() == {}


def test_a_failing_plug_back_on_a_live_cluster_raises_and_still_removes_it() -> None:
    require("cluster", "fabric")
    spec = small("wlgen-live")
    with pytest.raises(ClusterError, match="node n1 .* is not running"):
        with session_cluster(spec, [], before_down=plug_back_and_clear) as cluster:
            # The controller still runs, so the teardown must try, and say what failed.
            subprocess.run([cluster.engine.name, "stop", "-t", "1", cluster.container("n1")],
                           env=cluster.exec_env(), check=True, capture_output=True)
    assert cluster.container_states() == {}


def test_a_cluster_whose_up_failed_is_removed() -> None:
    require("cluster")
    spec = ClusterSpec(name=per_run_name("wlgen-upfail"), nodes=1, cpus=1, mem_mb=256,
                       conf_extra="SchedulerType=sched/nonexistent")
    with pytest.raises(ClusterError, match="slurmctld on ctld stopped"):
        with session_cluster(spec, []):
            pass
    assert Cluster(spec).container_states() == {}
