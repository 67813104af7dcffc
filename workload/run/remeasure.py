"""Metrics for a finished run directory or any SWF file, recomputed from the record."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from workload.errors import InputError
from workload.event import CANCELLED, COMPLETED, FAILED, SUBMIT, Event
from workload.run.metrics import MetricsAccumulator
from workload.rundir import (EVENTS, METRICS, SKIP_REASONS, read_cluster, read_ending,
                             read_events, read_json, read_requests, read_settings,
                             require_run_dir)
from workload.run.schedule import JobRecord, build_schedule
from workload.run.swfheader import END_STATES, parse_end_states, swf_status
from workload.swf import SwfReader

SWF_STATE = {1: COMPLETED, 5: CANCELLED}


def measure_run_dir(run_dir: Path) -> dict[str, object]:
    """A run directory's metrics from its events, with the input its source skipped and
    how the run ended (``stopped_by``...: a stopped run's numbers are of part of it)."""
    require_run_dir(run_dir)
    settings = read_settings(run_dir)
    total = int(settings.get("cluster", {}).get("total_cpus", 0))
    cluster = read_cluster(run_dir)
    total_gpus = cluster.total_gpus if cluster is not None else 0
    acc = MetricsAccumulator(total, total_gpus=total_gpus)
    asked = ({seq: s.gpus for seq, s in (read_requests(run_dir) or {}).items() if s.gpus}
             if total_gpus else {})

    def submits_counted(events: Iterator[Event]) -> Iterator[Event]:
        for event in events:
            if event.kind == SUBMIT:
                acc.add_submit(event.submit_latency_s, event.submit_error_s)
            yield event

    for job in build_schedule(submits_counted(read_events(run_dir / EVENTS))):
        acc.add_job(job, asked.get(job.seq))
    skips = run_skips(run_dir)
    acc.skipped = int(cast(int, skips.get("skipped", 0)))
    return {**acc.result(), **skips, **read_ending(run_dir)}


def run_skips(run_dir: Path) -> dict[str, object]:
    """The input the run's source skipped (``skipped``, ``skipped_<reason>`` and
    ``skip_reasons``).

    Skipped records never became jobs, so the events cannot say; the run's metrics.json,
    written at its end, does (none: a run that never finished counted none).
    """
    if not (run_dir / METRICS).exists():
        return {}
    metrics = read_json(run_dir / METRICS)
    counts: dict[str, object] = {
        k: int(v) for k, v in metrics.items()
        if (k == "skipped" or k.startswith("skipped_")) and isinstance(v, (int, float))}
    if isinstance(metrics.get(SKIP_REASONS), dict):
        counts[SKIP_REASONS] = metrics[SKIP_REASONS]
    return counts


def swf_jobs(reader: SwfReader) -> Iterator[JobRecord]:
    """SWF records as JobRecords; jobs without a wait or run time count as never run."""
    for r in reader:
        ran = r.wait >= 0 and r.run >= 0
        start = r.submit + r.wait if ran else None
        end = start + r.run if start is not None else r.submit
        state = SWF_STATE.get(r.status, FAILED if r.status == 0 else COMPLETED)
        yield JobRecord(r.job - 1, str(r.job), r.submit, start, end, max(r.procs, 0), state,
                        f"u{r.user}", str(r.partition), ())


def measure_swf(path: Path, *, procs: int | None = None, strict: bool = True
                ) -> dict[str, object]:
    reader = SwfReader(path, strict=strict)
    total = procs or reader.header.max_procs
    if not total:
        raise InputError("no MaxProcs or MaxNodes in the header: give --procs", file=str(path))
    acc = MetricsAccumulator(total)
    for job in swf_jobs(reader):
        acc.add_submit()
        acc.add_job(job)
    acc.skipped = sum(reader.skipped.values())
    true_states = parse_end_states(reader.header.get(END_STATES))
    if true_states is not None and _agrees(true_states, acc.states):
        acc.states = true_states
    return dict(acc.result())


def _agrees(true_states: Counter[str], read: Counter[str]) -> bool:
    """A wlgen header's end states fit these records: the same count under each status.

    Status 0 stands for every end but COMPLETED and CANCELLED; where the counts agree the
    header's split of them (TIMEOUT, NODE_FAIL...) is the run's own. A file cut or edited
    since no longer agrees, and its status 0 jobs stay FAILED.
    """
    def by_status(states: Counter[str]) -> Counter[int]:
        counts: Counter[int] = Counter()
        for state, count in states.items():
            counts[swf_status(state)] += count
        return +counts
    return by_status(true_states) == by_status(read)
