"""Invariant checks on an observed schedule: pure functions over events and requests.

Each check takes an ``Observed`` (events, the JobRecords they make, the requests
behind them, the cluster) and returns a ``CheckResult``: pass, fail or n/a, with
counterexamples naming job seqs, ids and times. They read events only, so they judge
the simulator and real Slurm alike.
"""

from workload.checks.accounting import check_all_accounted
from workload.checks.capacity import check_no_overcommit
from workload.checks.deps import check_dependencies
from workload.checks.easy import check_easy_reservation
from workload.checks.observed import Observed, load_observed
from workload.checks.order import check_priority_order
from workload.checks.registry import DEFAULT_INVARIANTS, INVARIANTS, run_invariants
from workload.checks.result import FAIL, NA, PASS, CheckResult
from workload.checks.thresholds import check_metrics
from workload.checks.timing import check_started_after_submit, check_within_time_limit

__all__ = ["CheckResult", "DEFAULT_INVARIANTS", "FAIL", "INVARIANTS", "NA", "Observed",
           "PASS", "check_all_accounted", "check_dependencies", "check_easy_reservation",
           "check_metrics", "check_no_overcommit", "check_priority_order",
           "check_started_after_submit", "check_within_time_limit", "load_observed",
           "run_invariants"]
