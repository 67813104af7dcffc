"""Dependencies joined by ``?`` (sbatch's any-of form, ``afterok:1?afterok:2``): read from
SubmitLine into JobSpec.depends_any, sent to Slurm as ``?``, judged by any one parent on
the simulator and by ``wlgen check``, never turned into all-of."""

from __future__ import annotations

import pytest

from workload.backends.sim.depends import Holds
from workload.backends.sim.job import SimJob
from workload.backends.slurm.request import submit_request
from workload.errors import InputError
from workload.sources.sacct import submitline
from workload.spec import JobSpec

from tests.slurm.test_depends import job, submitted


def any_of(seq: int, *depends: tuple[str, tuple[int, ...]]) -> JobSpec:
    return job(seq, *depends).with_(depends_any=True)


def test_submitline_says_when_any_one_suffices() -> None:
    assert submitline.dependencies("sbatch --dependency=afterok:11?afternotok:12 x.sh") == (
        (("afterok", (11,)), ("afternotok", (12,))), True)
    assert submitline.dependencies("sbatch -d afterok:11,afterany:12 x.sh")[1] is False


def test_an_any_of_job_goes_to_slurm_with_question_marks() -> None:
    parents = submitted("5", "6")
    child = any_of(2, ("afterok", (100,)), ("afternotok", (101,)))
    assert parents.admit(child)
    assert parents.expression(child) == "afterok:5?afternotok:6"   # was afterok:5,afternotok:6
    # One kind, two parents: each its own part (Slurm reads afterok:5:6 as both).
    same = any_of(3, ("afterok", (100, 101)))
    assert parents.admit(same) and parents.expression(same) == "afterok:5?afterok:6"
    request = submit_request(child, "t1", "#!/bin/sh\n", dependency="afterok:5?afternotok:6")
    assert request.dependency == "afterok:5?afternotok:6"


def test_one_parent_that_already_met_its_kind_is_enough() -> None:
    parents = submitted("5", "6")
    parents.ended(0, "FAILED")                    # afterok on it: never
    parents.ended(1, "FAILED")                    # afternotok on it: met
    child = any_of(2, ("afterok", (100,)), ("afternotok", (101,)))
    assert parents.admit(child) and not parents.doomed(child)
    assert parents.expression(child) == ""        # nothing left to wait for


def test_an_any_of_job_is_doomed_only_when_every_parent_rules_it_out() -> None:
    parents = submitted("5", "6")
    parents.ended(0, "FAILED")
    child = any_of(2, ("afterok", (100,)), ("afterok", (101,)))
    assert parents.admit(child) and not parents.doomed(child)
    assert parents.expression(child) == "afterok:6"   # the one still possible
    parents.ended(1, "CANCELLED")
    assert parents.doomed(child)


def test_the_request_refuses_a_mix_of_all_of_and_any_of() -> None:
    with pytest.raises(InputError):
        submit_request(any_of(2, ("afterok", (100,))), "t1", "#!/bin/sh\n",
                       dependency="afterok:5?afterany:6,after:7")


def sim_job(spec: JobSpec) -> SimJob:
    return SimJob(spec, 0.0, "batch")


@pytest.mark.parametrize(("first", "verdict"), [("FAILED", None), ("COMPLETED", True)])
def test_the_simulator_runs_an_any_of_job_once_one_parent_allows_it(first: str,
                                                                    verdict: bool | None
                                                                    ) -> None:
    holds = Holds()
    for parent in (job(0), job(1)):
        holds.hold(sim_job(parent))
    child = sim_job(any_of(2, ("afterok", (100, 101))))
    assert holds.hold(child) is None
    decided = holds.release(100, first)
    assert (decided[0][1] if decided else None) is verdict
    if verdict is None:                            # the other one decides
        assert holds.release(101, "FAILED") == [(child, False)]


def test_wlgen_check_judges_an_any_of_child_by_its_best_parent() -> None:
    from dataclasses import replace

    from workload.checks import FAIL, PASS, check_dependencies
    from workload.checks.observed import Observed
    from workload.testing import Row
    from workload.testing.handmade import hand_cluster, row_events, row_request

    def judged(child_start: float, second_state: str) -> tuple[str, list[str]]:
        rows = [Row(0, 0, 1, 10, state="FAILED"), Row(1, 0, 1, 4, state=second_state),
                Row(2, 0, child_start, child_start + 5)]
        # Job 2: afterok on job 0 (source id 1) or on job 1 (source id 2).
        requests = {r.seq: row_request(r) for r in rows}
        requests[2] = replace(requests[2], depends=(("afterok", (1, 2)),), depends_any=True)
        result = check_dependencies(Observed(row_events(rows), hand_cluster(), requests))
        assert result.checked == 1
        return result.status, [v["rule"] for v in result.violations]

    assert judged(5, "COMPLETED") == (PASS, [])     # job 1 allowed it; job 0 never would
    status, rules = judged(5, "FAILED")
    assert status == FAIL and rules == ["started before its parent ended; no other parent "
                                        "of its any-of (?) dependency allowed it"]


def test_a_wlgen_jobs_file_keeps_any_of_and_refuses_a_non_boolean(tmp_path) -> None:
    import json

    from workload.sources.jsonl import JsonlSource, write_jsonl

    either = any_of(2, ("afterok", (100, 101)))
    path = tmp_path / "jobs.jsonl"
    write_jsonl(path, [job(0), job(1), either])
    assert list(JsonlSource(path))[2] == either
    lines = path.read_text().splitlines()
    bad = json.loads(lines[-1]) | {"depends_any": "yes"}
    path.write_text("\n".join([*lines[:-1], json.dumps(bad)]) + "\n")
    with pytest.raises(InputError) as caught:
        list(JsonlSource(path))
    assert caught.value.field == "depends_any" and "true or false" in str(caught.value)


def test_a_sacct_dump_with_question_marks_gives_any_of_jobs(tmp_path) -> None:
    from tests.sources.conftest import dump
    from workload.sources.sacct import SacctSource

    text = dump("26.05", "sacct-P-allocations.txt").read_text()
    assert text.count("--dependency=afterok:1 ") == 1
    path = tmp_path / "sacct.txt"
    path.write_text(text.replace("--dependency=afterok:1 ", "--dependency=afterok:1?afterany:2 "))
    specs = {s.name: s for s in SacctSource(path, kind="sacct")}
    either = specs["after-ok"]
    assert either.depends == (("afterok", (1,)), ("afterany", (2,))) and either.depends_any
    assert not specs["after-any"].depends_any       # a "," or a single kind: all of them
