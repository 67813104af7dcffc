"""Metrics computed by hand for a tiny schedule, and recomputed from a run directory."""

from __future__ import annotations

import pytest

from workload.run.remeasure import measure_run_dir, measure_swf
from workload.run.metrics import REQUIRED_KEYS, MetricsAccumulator
from workload.run.schedule import JobRecord


def record(seq, submit, start, end, procs, state="COMPLETED") -> JobRecord:
    return JobRecord(seq, str(seq), submit, start, end, procs, state, "u1", "batch", ())


def test_hand_computed_metrics():
    acc = MetricsAccumulator(total_cpus=4)
    jobs = [record(0, 0, 0, 100, 2), record(1, 0, 10, 15, 4, "TIMEOUT"),
            record(2, 5, None, 20, 1, "CANCELLED")]
    for job in jobs:
        acc.add_submit()
        acc.add_job(job)
    m = acc.result()
    assert set(REQUIRED_KEYS) <= set(m)
    counts = (m["submitted"], m["started"], m["completed"], m["timeout"], m["cancelled"])
    assert counts == (3, 2, 1, 1, 1)
    assert m["makespan_s"] == 100                           # first submit 0, last end 100
    assert m["wait_mean_s"] == 5 and m["wait_median_s"] == 5
    # bsld: job 0 max(1, 100/100) = 1; job 1 max(1, (10+5)/max(5,10)) = 1.5
    assert m["bsld_mean"] == pytest.approx(1.25)
    assert m["utilization"] == pytest.approx((100 * 2 + 5 * 4) / (4 * 100))
    assert m["throughput_jobs_per_s"] == pytest.approx(2 / 100)


def test_realtime_keys_appear_only_with_submit_timings():
    acc = MetricsAccumulator(1)
    assert "submit_latency_p50_s" not in acc.result()
    for latency in (0.01, 0.02, 0.03):
        acc.add_submit(latency, latency / 10)
    m = acc.result()
    assert m["submit_latency_p50_s"] == pytest.approx(0.02)
    assert m["submit_error_p99_s"] == pytest.approx(0.003, rel=0.01)


def test_run_dir_metrics_are_recomputed_from_events(tmp_path):
    from workload.backends.sim import SimBackend, make_cluster_info
    from workload.run.runner import run_workload
    from workload.sources import StormSource
    result = run_workload(StormSource(200, size="1-8", runtime="1-30", seed=4),
                          SimBackend(make_cluster_info(4, 8)), out=tmp_path / "r")
    again = measure_run_dir(result.run_dir)
    for key in REQUIRED_KEYS:
        if key != "skipped":
            assert again[key] == pytest.approx(result.metrics[key]), key
    # The realised schedule as SWF gives the same numbers (times rounded to ms).
    from_swf = measure_swf(result.run_dir / "schedule.swf")    # MaxProcs: the cluster's
    assert from_swf["wait_mean_s"] == pytest.approx(result.metrics["wait_mean_s"], abs=0.01)
    assert from_swf["completed"] == result.metrics["completed"]
    assert from_swf["utilization"] == pytest.approx(result.metrics["utilization"], rel=1e-3)


def test_schedule_keeps_a_start_reported_before_its_submit():
    from workload.event import Event
    from workload.run.schedule import build_schedule
    events = [Event("start", 12.0, 0, "7", "RUNNING", nodes=("n1",)),
              Event("submit", 10.0, 0, "7", "PENDING"),
              Event("end", 20.0, 0, "7", "COMPLETED", procs=1)]
    (job,) = build_schedule(events)
    assert (job.submit, job.start, job.end, job.nodes) == (10.0, 12.0, 20.0, ("n1",))
