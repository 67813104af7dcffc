"""Run many scenario variants, one after another or in N local processes.

Every variant runs through the same function (``run_variant``) whether in this process
(``jobs=1``) or in a worker, so a simulated sweep writes the same run directories either
way (the simulator is deterministic and starts from a fixed epoch; only run ids and wall
times differ). Outcomes come back in the variants' order, whatever order they finished in.

Nothing is lost: a variant that raises is an outcome with its error, a worker that dies
is an outcome with that error, and after Ctrl-C the variants not started are outcomes
marked cancelled. Ctrl-C reaches the workers too (they share the terminal's process
group): each running simulation stops at a safe point and writes its directory (see
workload.run.interrupt), so what finished is still there to compare.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from workload.scenario.model import Scenario
from workload.scenario.runner import ScenarioRun, run_scenario

__all__ = ["Variant", "VariantOutcome", "run_variant", "run_variants", "variant_summary"]

# A variant's verdict: passed / FAILED (its checks, or an incomplete run) come from a run;
# ERROR: it raised; interrupted: Ctrl-C stopped its run; cancelled: Ctrl-C came first.
STATUSES = ("passed", "FAILED", "ERROR", "interrupted", "cancelled")
# How long a pool's workers get to end after the sweep (they end in milliseconds when
# all is well), and then after being killed.
WORKER_EXIT_S = 60.0


@dataclass(frozen=True)
class Variant:
    """One combination of varied values: its label, its loaded scenario, its directory."""
    label: str
    scenario: Scenario
    out: Path


@dataclass
class VariantOutcome:
    label: str
    out: Path
    status: str
    summary: dict[str, object] = field(default_factory=dict)   # variant_summary, if it ran
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def ran(self) -> bool:
        """Its run directory was written (even if stopped by Ctrl-C)."""
        return bool(self.summary)


def variant_summary(done: ScenarioRun) -> dict[str, object]:
    """What the CLI reports of a run (small: a worker sends it back through a pipe)."""
    return {"scenario": done.scenario.name, "run_dir": str(done.result.run_dir),
            "passed": done.passed, "metrics": done.result.metrics,
            "checks": [c.to_dict() for c in done.checks]}


def run_variant(variant: Variant, backend: str = "sim", cluster: str = "wlgen") -> VariantOutcome:
    """Run one variant; an exception becomes an outcome with the error, never lost."""
    try:
        done = run_scenario(variant.scenario, backend=backend, out=variant.out,
                            cluster=cluster, fresh=True)
    except Exception as err:  # noqa: BLE001 - reported as the variant's verdict
        return VariantOutcome(variant.label, variant.out, "ERROR", error=_why(err))
    status = ("interrupted" if done.result.outcome.stopped_by == "interrupt"
              else "passed" if done.passed else "FAILED")
    return VariantOutcome(variant.label, done.result.run_dir, status,
                          summary=variant_summary(done))


def run_variants(variants: Sequence[Variant], *, jobs: int = 1, backend: str = "sim",
                 cluster: str = "wlgen",
                 on_done: Callable[[VariantOutcome], None] | None = None
                 ) -> list[VariantOutcome]:
    """Run every variant, ``jobs`` at a time; outcomes in the variants' order.

    ``on_done`` is called as each variant ends (in the order they end). After Ctrl-C the
    variants not yet started are cancelled, the running ones stop and are kept."""
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, not {jobs}")
    if jobs == 1:
        return _in_process(variants, backend, cluster, on_done or _ignore)
    return _in_pool(variants, jobs, backend, cluster, on_done or _ignore)


def _in_process(variants: Sequence[Variant], backend: str, cluster: str,
                on_done: Callable[[VariantOutcome], None]) -> list[VariantOutcome]:
    outcomes: list[VariantOutcome] = []
    try:
        for variant in variants:
            outcome = run_variant(variant, backend, cluster)
            outcomes.append(outcome)
            on_done(outcome)
            if outcome.status == "interrupted":
                break     # the run took the Ctrl-C: it meant the sweep
    except KeyboardInterrupt:   # a second Ctrl-C in a run, or one between two runs
        # Between runs (the next one has no directory yet) it was never started: it is
        # cancelled like the rest, not a run that was stopped.
        if len(outcomes) < len(variants) and variants[len(outcomes)].out.exists():
            current = variants[len(outcomes)]
            outcomes.append(VariantOutcome(current.label, current.out, "interrupted",
                                           error="stopped by a second Ctrl-C"))
            on_done(outcomes[-1])
    return outcomes + _cancelled(variants[len(outcomes):])


def _in_pool(variants: Sequence[Variant], jobs: int, backend: str, cluster: str,
             on_done: Callable[[VariantOutcome], None]) -> list[VariantOutcome]:
    """At most ``jobs`` variants are submitted at a time, so none waits in the pool's
    queue, where Ctrl-C could no longer cancel it."""
    outcomes: dict[int, VariantOutcome] = {}
    running: dict[Future[VariantOutcome], int] = {}
    upcoming = iter(range(len(variants)))
    context = multiprocessing.get_context("spawn")     # no forked locks or threads
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                               initializer=_worker_init)

    def top_up() -> None:
        for i in upcoming:
            try:
                running[pool.submit(run_variant, variants[i], backend, cluster)] = i
            except BrokenProcessPool as err:    # a worker died (killed, out of memory)
                outcomes[i] = VariantOutcome(variants[i].label, variants[i].out, "ERROR",
                                             error=f"not run: {_why(err)}")
                on_done(outcomes[i])
            if len(running) >= jobs:
                return

    try:
        top_up()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                i = running.pop(future)
                outcomes[i] = _collect(future, variants[i])
                on_done(outcomes[i])
            top_up()
    except KeyboardInterrupt:
        _drain(running, variants, outcomes, on_done)
    finally:
        _close(pool, before, abandon=_gave_up(outcomes.values()))
    return [outcomes.get(i) or _cancelled([v])[0] for i, v in enumerate(variants)]


def _gave_up(outcomes: Iterable[VariantOutcome]) -> bool:
    """The pool broke (a worker died) or variants were abandoned (a second Ctrl-C)."""
    return any("BrokenProcessPool" in (o.error or "") or "abandoned" in (o.error or "")
               for o in outcomes)


def _close(pool: ProcessPoolExecutor, before: set[multiprocessing.process.BaseProcess],
           abandon: bool) -> None:
    """Shut the pool down within a bound. A plain shutdown can wait forever: on CPython
    3.11 a worker spawned by a submit that races the pool's breakdown is never told to
    stop, and the pool joins it (reproduced: a SIGKILLed worker hung `matrix -j 2` one
    run in four). So its workers (this process's children made since the pool) get
    WORKER_EXIT_S to end, none when the pool is given up, and are killed after that."""
    pool.shutdown(wait=False, cancel_futures=True)
    grace = 0.0 if abandon else WORKER_EXIT_S
    deadline = time.monotonic() + grace
    for worker in set(multiprocessing.active_children()) - before:
        worker.join(timeout=max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
            worker.join(timeout=WORKER_EXIT_S)
    pool.shutdown(wait=True)   # the pool's own thread ends once its workers are gone


def _drain(running: dict[Future[VariantOutcome], int], variants: Sequence[Variant],
           outcomes: dict[int, VariantOutcome],
           on_done: Callable[[VariantOutcome], None]) -> None:
    """After Ctrl-C: submit nothing more, wait for the running variants, which took the
    same Ctrl-C and stop at their next event. A second Ctrl-C stops waiting: those still
    running are reported as interrupted without a directory to compare."""
    try:
        for future in list(running):
            i = running.pop(future)
            outcomes[i] = _collect(future, variants[i])
            on_done(outcomes[i])
    except KeyboardInterrupt:
        for future, i in running.items():
            future.cancel()
            outcomes[i] = VariantOutcome(variants[i].label, variants[i].out, "interrupted",
                                         error="abandoned after a second Ctrl-C")
            on_done(outcomes[i])


def _collect(future: Future[VariantOutcome], variant: Variant) -> VariantOutcome:
    """The worker's outcome, or the reason there is none (a worker killed, the pool
    broken, a second Ctrl-C inside the run): an outcome either way."""
    try:
        return future.result()
    except KeyboardInterrupt:
        return VariantOutcome(variant.label, variant.out, "interrupted",
                              error="stopped by a second Ctrl-C")
    except BaseException as err:  # noqa: BLE001 - BrokenProcessPool, pickling, ...
        return VariantOutcome(variant.label, variant.out, "ERROR", error=_why(err))


def _worker_init() -> None:
    """An idle worker shrugs off Ctrl-C (the parent decides); a running simulation still
    takes it, because stop_on_interrupt installs its own handler for the run. SIG_IGN
    would not do: stop_on_interrupt keeps an ignored SIGINT ignored, which is right when
    wlgen itself was started ignoring it (nohup, a background job), as the worker then is."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _shrug)


def _shrug(signum: int, frame: object) -> None:
    """SIGINT in an idle worker: nothing to stop."""


def _cancelled(variants: Sequence[Variant]) -> list[VariantOutcome]:
    return [VariantOutcome(v.label, v.out, "cancelled", error="not started: Ctrl-C")
            for v in variants]


def _ignore(outcome: VariantOutcome) -> None:
    """No progress callback."""


def _why(err: BaseException) -> str:
    text = str(err).splitlines()[0][:300] if str(err) else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
