"""One run, start to finish: run directory, recorder, generator, final metrics."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Generator as Generator_
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workload.backends.base import Backend, ClusterInfo
from workload.backends.sim.vclock import engine_for
from workload.run.generator import Generator, Outcome
from workload.run.interrupt import stop_on_interrupt
from workload.run.recorder import Recorder
from workload.run.swfheader import realised_header
from workload.rundir import (SKIP_REASONS, make_run_dir, new_run_id, run_epoch,
                             scheduler_settings, write_cluster, write_settings)
from workload.slurmconf import SlurmConfig
from workload.slurmconf.defaults import DEFAULT_RELEASE
from workload.sinks.base import SinkReport
from workload.sinks.config import SinkOptions
from workload.sinks.relay import SinkRelay
from workload.sources.base import Source
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
        return self.outcome.stopped_by is None and self.metrics.get("unaccounted") == 0


def run_workload(workload: Iterable[JobSpec], backend: Backend, *,
                 kind: str = "run", out: str | Path | None = None, force: bool = False,
                 settings: dict[str, object] | None = None, header: Header | None = None,
                 sinks: SinkOptions | None = None, closed_loop: bool = False,
                 epoch: float | None = None, skipped: Callable[[], dict[str, int]] | None = None,
                 cancel_on_exit: bool = False, expected: int | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run ``workload`` on ``backend`` and write the run directory (workload.rundir).

    ``out`` must be new or empty (``force`` replaces an earlier run's directory).
    ``epoch`` is the Unix time the run's clock starts from: by default the wall clock
    for a real-time backend and a fixed date for a simulation (reproducible bytes).
    ``sinks`` (Graphite, annotations, Logstash) are fed by a relay process that follows
    events.jsonl. ``skipped`` is called after the run to count input the source dropped
    (by reason); it is read after the workload is consumed because sources stream lazily.
    ``expected`` (the workload's size, when known) counts what a stopped run never
    submitted. An InputError from the workload mid-run stops the run: the directory is
    written (``stopped_by``), then the error is raised again.
    """
    epoch = run_epoch(backend.realtime, epoch)
    run_id = new_run_id(kind)
    run_dir = make_run_dir(out, run_id, force=force)
    info = backend.describe()
    write_settings(run_dir, {
        "run_id": run_id, "kind": kind, "backend": backend.name, "epoch": epoch,
        "cluster": {"name": info.name, "nodes": len(info.nodes), "total_cpus": info.total_cpus,
                    "cpus_per_node": info.cpus_per_node, "partitions": list(info.partitions),
                    "slurm_version": info.slurm_version, "slurm_api": info.slurm_api},
        "closed_loop": closed_loop, "scheduler": _scheduler(backend, info),
        **({"sim_engine": engine_for(backend)} if backend.name == "sim" else {}),
        **(settings or {})})
    write_cluster(run_dir, info)
    recorder = Recorder(run_dir, run_id=run_id, total_cpus=info.total_cpus, epoch=epoch,
                        total_gpus=info.total_gpus,
                        header=realised_header(header, info, run_id, backend.name,
                                               settings, skipped))
    relay = (SinkRelay(sinks, run_dir, run_id, info.total_cpus)
             if sinks is not None and has_sinks(sinks) else None)
    if relay:
        relay.start()
    counted = _Counted(workload)
    generator = Generator(counted, backend, recorder, epoch=epoch, closed_loop=closed_loop,
                          run_id=run_id, on_progress=on_progress)
    with stop_on_interrupt(generator.request_stop):
        outcome = _run(generator, backend, cancel_on_exit)
        unsent = backend.unsubmitted()
        counted.close()
        skipped_by_reason = skipped() if skipped else {}
        recorder.metrics.skipped = sum(skipped_by_reason.values())
        extra = {"run_id": run_id, "backend": backend.name, **_ending(outcome),
                 "not_submitted": _not_submitted(outcome, counted.taken, expected,
                                                 recorder.metrics.skipped, len(unsent)),
                 "wall_s": round(outcome.wall_s, 3), "events": recorder.events_written,
                 "open_loop_fallbacks": outcome.open_loop_fallbacks, **backend.report(),
                 **skip_counts(skipped_by_reason)}
        recorder.close()
        reports = relay.finish() if relay else []
        metrics = recorder.finish(extra, reports, unsent)
    if outcome.input_error is not None:
        raise outcome.input_error
    return RunResult(run_id, run_dir, metrics, outcome, reports)


def _scheduler(backend: Backend, info: ClusterInfo) -> dict[str, object]:
    """The scheduling semantics the checks judge by (a caller's settings may replace it):
    the simulator's Slurm configuration or textbook policy; for real Slurm, the container
    cluster's settings of its release."""
    if backend.name == "sim":
        return scheduler_settings(getattr(backend, "slurm", None),
                                  str(getattr(backend, "policy", "easy")))
    # slurm_version is the full one ("22.05.8"); the model's defaults are per release.
    release = ".".join((info.slurm_version or DEFAULT_RELEASE).split(".")[:2])
    return scheduler_settings(SlurmConfig.container(release))


def run_source(source: Source, backend: Backend, *, settings: dict[str, object] | None = None,
               **options: Any) -> RunResult:
    """run_workload of a Source: its description in settings.json, its skipped counts
    in metrics.json."""
    return run_workload(source, backend,
                        settings={**(settings or {}), "source": source.describe()},
                        skipped=lambda: dict(source.skipped), **options)


def _run(generator: Generator, backend: Backend, cancel_on_exit: bool) -> Outcome:
    try:
        outcome = generator.run()
        if outcome.stopped_by in ("interrupt", "input error") and cancel_on_exit:
            backend.cancel(generator.recorder.schedule.unfinished)
    finally:
        backend.close()
    return outcome


def _ending(outcome: Outcome) -> dict[str, object]:
    """How the run ended, as metrics.json says it."""
    error = outcome.input_error or outcome.backend_error
    return {"interrupted": outcome.interrupted, "stalled": outcome.stalled,
            "stopped_by": outcome.stopped_by,
            **({"stopped_by_error": str(error)} if error is not None else {})}


def _not_submitted(outcome: Outcome, taken: int, expected: int | None,
                   skipped: int, unsent: int = 0) -> int | None:
    """Jobs the run never submitted: those it took from the workload and held (waiting
    for their time, or a predecessor), those handed to the backend that it never sent
    (``unsent``) plus, when the workload's size is known, those it never took. None:
    unknown (the rest of the input was not read, its size not given)."""
    held = taken - outcome.submitted + unsent
    if outcome.exhausted:
        return held
    if expected is None:
        return None
    return held + max(0, expected - taken - skipped)


class _Counted:
    """The workload, counting the specs taken from it; ``close()`` ends it early."""

    def __init__(self, workload: Iterable[JobSpec]) -> None:
        self.workload, self.taken = workload, 0
        self._specs: Generator_[JobSpec, None, None] | None = None

    def __iter__(self) -> Iterator[JobSpec]:
        self._specs = self._count()
        return self._specs

    def _count(self) -> Generator_[JobSpec, None, None]:
        for spec in self.workload:
            self.taken += 1
            yield spec

    def close(self) -> None:
        """A run that stopped early closes its workload, so a source counts what it read
        (skipped lines included) as it would at its end."""
        if self._specs is not None:
            self._specs.close()


def has_sinks(options: SinkOptions | None) -> bool:
    return options is not None and any((options.graphite, options.graphite_web, options.logstash))


def skip_counts(by_reason: Mapping[str, int]) -> dict[str, object]:
    """metrics.json's skipped input: ``skipped_<slug>`` flat counts (what a scenario's
    ``checks.metrics`` can bound) and ``skip_reasons``, each reason as the rule is written
    ("run time -1 (n/a)"), for people: a slug ("run_time_1_n_a") loses the rule."""
    if not by_reason:
        return {}
    return {**{f"skipped_{_slug(k)}": v for k, v in by_reason.items()},
            SKIP_REASONS: dict(by_reason)}


def _slug(reason: str) -> str:
    """A reason as a flat metrics key part: "run time -1 (n/a)" -> "run_time_1_n_a"."""
    return re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_")
