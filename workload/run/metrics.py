"""Run metrics, computed in one pass over the realised schedule.

Key names are an interface (other tools and the harness read them): see REQUIRED_KEYS.
"""

from __future__ import annotations

from array import array
from collections import Counter

from workload.event import CANCELLED, COMPLETED, FAILED, FINAL_STATES, TIMEOUT
from workload.run.npstats import mean, percentiles
from workload.run.schedule import JobRecord

TAU_S = 10.0    # bounded-slowdown threshold (Feitelson et al.)
REQUIRED_KEYS = ("submitted", "started", "completed", "failed", "timeout", "cancelled",
                 "skipped", "makespan_s", "wait_mean_s", "wait_median_s", "wait_p95_s",
                 "bsld_mean", "utilization", "throughput_jobs_per_s")
REALTIME_KEYS = ("submit_latency_p50_s", "submit_latency_p99_s", "submit_error_p50_s",
                 "submit_error_p99_s")


class MetricsAccumulator:
    """Add each job as it ends; ``result()`` gives the flat metrics object."""

    def __init__(self, total_cpus: int, *, tau_s: float = TAU_S, total_gpus: int = 0) -> None:
        self.total_cpus, self.tau_s, self.total_gpus = total_cpus, tau_s, total_gpus
        self.busy_gpu_s = 0.0
        self.submitted = 0
        self.skipped = 0
        self.states: Counter[str] = Counter()
        self.waits = array("d")
        self.bsld_sum = 0.0
        self.busy_cpu_s = 0.0
        self.first_submit = float("inf")
        self.last_end = float("-inf")
        self.latencies, self.errors = array("d"), array("d")

    def add_submit(self, latency_s: float | None = None, error_s: float | None = None) -> None:
        self.submitted += 1
        if latency_s is not None:
            self.latencies.append(latency_s)
        if error_s is not None:
            self.errors.append(error_s)

    def add_job(self, job: JobRecord, gpus: int | None = None) -> None:
        """``gpus``: what the job held when its events do not say (its request)."""
        self.states[job.state] += 1
        self.first_submit = min(self.first_submit, job.submit)
        self.last_end = max(self.last_end, job.end)
        if job.start is None:
            return
        wait, run = job.start - job.submit, job.end - job.start
        self.waits.append(wait)
        self.bsld_sum += max(1.0, (wait + run) / max(run, self.tau_s))
        self.busy_cpu_s += run * job.procs
        self.busy_gpu_s += run * (job.gpus or gpus or 0)

    def result(self) -> dict[str, float | int | None]:
        started = len(self.waits)
        span = self.last_end - self.first_submit if started or self.states else 0.0
        span = max(span, 0.0)
        wait_median, wait_p95 = percentiles(self.waits, (50, 95))
        metrics: dict[str, float | int | None] = {
            "submitted": self.submitted,
            "started": started,
            "completed": self.states[COMPLETED],
            "failed": self.states[FAILED],
            "timeout": self.states[TIMEOUT],
            "cancelled": self.states[CANCELLED],
            "skipped": self.skipped,
            "makespan_s": span,
            "wait_mean_s": mean(self.waits) if started else None,
            "wait_median_s": wait_median,
            "wait_p95_s": wait_p95,
            "bsld_mean": self.bsld_sum / started if started else None,
            "utilization": (self.busy_cpu_s / (self.total_cpus * span)
                            if span > 0 and self.total_cpus else None),
            "throughput_jobs_per_s": started / span if span > 0 else None,
        }
        for state in FINAL_STATES:
            metrics.setdefault(state.lower(), self.states[state])
        metrics["ended"] = sum(self.states.values())
        if self.total_gpus:   # GPU-seconds used of those the cluster had (issue 16)
            metrics["gpu_utilization"] = (self.busy_gpu_s / (self.total_gpus * span)
                                          if span > 0 else None)
        if self.latencies or self.errors:
            latency_p50, latency_p99 = percentiles(self.latencies, (50, 99))
            error_p50, error_p99 = percentiles(self.errors, (50, 99))
            metrics.update({
                "submit_latency_p50_s": latency_p50, "submit_latency_p99_s": latency_p99,
                "submit_error_p50_s": error_p50, "submit_error_p99_s": error_p99,
            })
        return metrics
