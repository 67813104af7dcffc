"""Every job accounted for: one submit, one final end, nothing out of order or lost."""

from __future__ import annotations

from collections import Counter

from workload.checks.observed import Observed
from workload.checks.result import FAIL, PASS, CheckResult, Verdict
from workload.event import END, FINAL_STATES, START, SUBMIT

NAME = "all_accounted"


def check_all_accounted(obs: Observed) -> CheckResult:
    """Per job: exactly one submit and one end in a final state, and no start after its
    end. Every request the run made (``requests.jsonl``) was submitted."""
    verdict = Verdict(NAME)
    submits: Counter[int] = Counter()
    ends: Counter[int] = Counter()
    ended_at: dict[int, float] = {}
    for event in obs.events:
        if event.kind == SUBMIT:
            submits[event.seq] += 1
        elif event.kind == END:
            ends[event.seq] += 1
            ended_at[event.seq] = event.time
            if event.state not in FINAL_STATES:
                verdict.fail(seq=event.seq, job_id=event.job_id, state=event.state,
                             problem="ended in a state that is not final")
        elif event.kind == START and event.seq in ended_at:
            verdict.fail(seq=event.seq, job_id=event.job_id, time=event.time,
                         problem=f"started after its end at {ended_at[event.seq]:.3f}")
    for seq in sorted(set(submits) | set(ends) | set(obs.requests)):
        verdict.count()
        if submits[seq] != 1 or ends[seq] != 1:
            verdict.fail(seq=seq, submits=submits[seq], ends=ends[seq],
                         problem=_problem(submits[seq], ends[seq]))
    return verdict.result()


def check_run_complete(obs: Observed) -> CheckResult:
    """The run ended by itself: it wrote its metrics and was not interrupted, stalled or
    stopped by an input error (metrics.json says which). A stopped run's schedule can pass
    every other check and still be only the start of the run that was asked for."""
    name, metrics = "run_complete", obs.metrics
    if not metrics:
        return CheckResult(name, FAIL, 1, 1, [{"problem": "no metrics.json: the run never "
                                               "finished writing its directory"}])
    stopped = metrics.get("stopped_by") or ("interrupt" if metrics.get("interrupted") else
                                            "stall" if metrics.get("stalled") else None)
    if stopped is None:
        return CheckResult(name, PASS, 1)
    why = metrics.get("stopped_by_error")
    problem = f"stopped by {stopped}" + (f": {why}" if why else "")
    return CheckResult(name, FAIL, 1, 1, [{"problem": problem,
                                           "not_submitted": metrics.get("not_submitted")}])


def _problem(submits: int, ends: int) -> str:
    if submits == 0:
        return "never submitted" if ends == 0 else "ended without a submit"
    if ends == 0:
        return "never ended (unaccounted)"
    return "submitted or ended more than once"
