"""wlgen as a test library: run workloads from pytest and assert on the schedule.

The pytest plugin (``workload.testing.plugin``, registered by entry point) gives the
fixtures ``sim_cluster``, ``wlgen_run`` and ``slurm_cluster`` and the markers
``wlgen_cluster``, ``requires_root``, ``requires_podman``, ``requires_slurm``.
"""

from workload.checks import Observed
from workload.testing.asserts import (assert_all_accounted, assert_check, assert_dependencies,
                                      assert_easy_reservation, assert_invariants,
                                      assert_metrics, assert_no_overcommit,
                                      assert_priority_order, assert_started_after_submit,
                                      assert_within_time_limit)
from workload.testing.handmade import Row, hand_cluster, observed_from_rows
from workload.testing.observe import ClusterUnderTest, wlgen_run

__all__ = ["ClusterUnderTest", "Observed", "Row", "assert_all_accounted", "assert_check",
           "assert_dependencies", "assert_easy_reservation", "assert_invariants",
           "assert_metrics", "assert_no_overcommit", "assert_priority_order",
           "assert_started_after_submit", "assert_within_time_limit", "hand_cluster",
           "observed_from_rows", "wlgen_run"]
