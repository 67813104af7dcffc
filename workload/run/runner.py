"""One run, start to finish: run directory, recorder, generator, final metrics."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workload.backends.base import Backend
from workload.run.generator import Generator, Outcome
from workload.run.recorder import Recorder
from workload.run.swfheader import realised_header
from workload.rundir import SETTINGS, make_run_dir, new_run_id, write_json
from workload.sinks.base import SinkReport
from workload.sinks.config import SinkOptions
from workload.sinks.relay import SinkRelay
from workload.spec import JobSpec
from workload.swf import Header


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    metrics: dict[str, object]
    outcome: Outcome
    sinks: list[SinkReport] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every submitted job ended and was recorded, and nothing was interrupted."""
        return (not self.outcome.interrupted and not self.outcome.stalled
                and self.metrics.get("unaccounted") == 0)


def run_workload(workload: Iterable[JobSpec], backend: Backend, *,
                 kind: str = "run", out: str | Path | None = None,
                 settings: dict[str, object] | None = None, header: Header | None = None,
                 sinks: SinkOptions | None = None, closed_loop: bool = False,
                 epoch: float | None = None, skipped: Callable[[], dict[str, int]] | None = None,
                 cancel_on_exit: bool = False,
                 on_progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run ``workload`` on ``backend`` and write the run directory.

    ``sinks`` (Graphite, annotations, Logstash) are fed by a relay process that follows
    events.jsonl. ``skipped`` is called after the run to count input the source dropped (by reason);
    it is read after the workload is consumed because sources stream lazily.
    """
    run_id = new_run_id(kind)
    run_dir = make_run_dir(out, run_id)
    epoch = time.time() if epoch is None else epoch
    info = backend.describe()
    write_json(run_dir / SETTINGS, {
        "run_id": run_id, "kind": kind, "backend": backend.name, "epoch": epoch,
        "cluster": {"name": info.name, "nodes": len(info.nodes), "total_cpus": info.total_cpus,
                    "cpus_per_node": info.cpus_per_node, "partitions": list(info.partitions),
                    "slurm_version": info.slurm_version, "slurm_api": info.slurm_api},
        "closed_loop": closed_loop, **(settings or {})})
    recorder = Recorder(run_dir, run_id=run_id, total_cpus=info.total_cpus, epoch=epoch,
                        header=realised_header(header, info, run_id, backend.name,
                                               settings))
    relay = SinkRelay(sinks, run_dir, run_id, info.total_cpus) if has_sinks(sinks) else None
    if relay:
        relay.start()
    generator = Generator(workload, backend, recorder, epoch=epoch, closed_loop=closed_loop,
                          run_id=run_id, on_progress=on_progress)
    try:
        outcome = generator.run()
        if outcome.interrupted and cancel_on_exit:
            backend.cancel(recorder.schedule.unfinished)
    finally:
        backend.close()
    skipped_by_reason = skipped() if skipped else {}
    recorder.metrics.skipped = sum(skipped_by_reason.values())
    extra = {"run_id": run_id, "backend": backend.name, "interrupted": outcome.interrupted,
             "stalled": outcome.stalled,
             "wall_s": round(outcome.wall_s, 3), "events": recorder.events_written,
             "open_loop_fallbacks": outcome.open_loop_fallbacks,
             **{f"skipped_{_slug(k)}": v for k, v in skipped_by_reason.items()}}
    recorder.close()
    reports = relay.finish() if relay else []
    metrics = recorder.finish(extra, reports)
    return RunResult(run_id, run_dir, metrics, outcome, reports)


def has_sinks(options: SinkOptions | None) -> bool:
    return options is not None and any((options.graphite, options.graphite_web, options.logstash))


def _slug(reason: str) -> str:
    """A reason as a flat metrics key part: "run time -1 (n/a)" -> "run_time_1_n_a"."""
    return re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_")
