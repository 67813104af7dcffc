"""wlgen as a test library: run workloads from pytest and assert on the schedule.

The pytest plugin (``workload.testing.plugin``, registered by entry point) gives the
fixtures ``sim_cluster``, ``wlgen_run`` and ``slurm_cluster``, the marker
``wlgen_cluster`` and one ``requires_<need>`` marker per need of
``workload.testing.require`` (root, podman, cluster, slurm, mpi, graphite, ...).
Names are imported lazily: the plugin, loaded by every pytest session where slurm-wlgen
is installed, pulls in nothing it does not use.
"""

from __future__ import annotations

import importlib

_ASSERTS = ("assert_all_accounted", "assert_check", "assert_dependencies",
            "assert_easy_reservation", "assert_invariants", "assert_metrics",
            "assert_no_overcommit", "assert_priority_order", "assert_started_after_submit",
            "assert_within_time_limit")
_EXPORTS = {
    "Observed": "workload.checks",
    **{name: "workload.testing.asserts" for name in _ASSERTS},
    "Row": "workload.testing.handmade",
    "hand_cluster": "workload.testing.handmade",
    "observed_from_rows": "workload.testing.handmade",
    "ClusterUnderTest": "workload.testing.observe",
    "wlgen_run": "workload.testing.observe",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'workload.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
