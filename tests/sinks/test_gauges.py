"""Run gauges folded from lifecycle events (what the relay sends to Graphite)."""

from __future__ import annotations

from workload.event import Event
from workload.sinks.gauges import Gauges


def test_gauges_follow_submits_starts_and_ends():
    gauges = Gauges(total_cpus=8)
    for seq in range(3):
        gauges.add(Event("submit", 0, seq, str(seq), "PENDING", procs=2,
                         submit_latency_s=0.1 * seq))
    gauges.add(Event("start", 1, 0, "0", "RUNNING", procs=2))
    gauges.add(Event("start", 1, 1, "1", "RUNNING", procs=2))
    first = gauges.snapshot()
    assert (first["submitted"], first["running"], first["pending"]) == (3, 2, 1)
    assert first["utilization"] == 0.5 and abs(first["submit_latency_s"] - 0.1) < 1e-9
    gauges.add(Event("end", 5, 0, "0", "COMPLETED", procs=2))
    gauges.add(Event("end", 6, 2, "2", "CANCELLED", procs=2))     # never started
    second = gauges.snapshot()
    assert (second["running"], second["pending"], second["ended"]) == (1, 0, 2)
    assert second["completed"] == 1 and second["cancelled"] == 1
    assert "submit_latency_s" not in second          # the mean is per interval
