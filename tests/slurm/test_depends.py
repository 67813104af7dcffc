"""Dependencies on real Slurm: source ids held until their jobs have Slurm ids, then
rendered as sbatch's --dependency (workload/backends/slurm/depends.py)."""

from __future__ import annotations

from workload.backends.slurm.depends import Parents
from workload.spec import JobSpec


def job(seq: int, *depends: tuple[str, tuple[int, ...]], source: int | None = None) -> JobSpec:
    return JobSpec(seq=seq, submit_s=seq, procs=1, runtime_s=1, time_limit_s=60,
                   source_id=100 + seq if source is None else source, depends=depends)


def submitted(*ids: str) -> Parents:
    """Parents where jobs 0, 1... (source ids 100, 101...) got Slurm ``ids``."""
    parents = Parents()
    for seq, slurm_id in enumerate(ids):
        parents.admit(job(seq))
        parents.resolved(job(seq), slurm_id)
    return parents


def test_a_child_waits_for_its_parents_ids_then_names_them() -> None:
    parents = Parents()
    a, b = job(0), job(1)
    child = job(2, ("afterok", (100,)), ("afternotok", (101,)))
    assert parents.admit(a) and parents.admit(b)
    assert not parents.admit(child)            # held: neither parent has an id yet
    assert parents.resolved(a, "7") == []      # still waits for b
    assert parents.waiting() == 1
    assert parents.resolved(b, "8_3") == [child]   # an array task's id
    assert parents.expression(child) == "afterok:7,afternotok:8_3"
    assert parents.waiting() == 0


def test_a_child_of_parents_with_ids_goes_at_once() -> None:
    parents = submitted("5")
    child = job(1, ("afterany", (100,)))
    assert parents.admit(child) and parents.expression(child) == "afterany:5"
    assert parents.expression(job(0)) is None  # no dependencies: no option


def test_singleton_and_correspondence_become_afterany_and_kinds_merge() -> None:
    parents = submitted("5", "6")
    child = job(2, ("singleton", (100,)), ("aftercorr", (101, 100)), ("after", (101,)))
    assert parents.admit(child)
    assert parents.expression(child) == "afterany:5:6,after:6"


def test_parents_outside_the_run_or_refused_are_ignored_as_the_simulator_does() -> None:
    parents = Parents()
    refused = job(0)
    parents.admit(refused)
    child = job(1, ("afterok", (100, 999)))    # 999: never submitted in this run
    assert not parents.admit(child)
    assert parents.resolved(refused, None) == [child]
    assert parents.expression(child) == ""     # nothing left to wait for
    # A parent submitted after its child does not count either (the simulator's rule).
    early = job(2, ("afterok", (104,)))
    assert parents.admit(early) and parents.expression(early) == ""


def test_unknown_kinds_pass_through_for_the_request_to_refuse() -> None:
    parents = submitted("5")
    odd = job(1, ("before", (100,)))
    assert parents.admit(odd) and parents.expression(odd) == "before:5"


def test_a_parent_that_already_ended_is_judged_here_not_named_to_slurm() -> None:
    """slurmctld refuses afterok/afternotok on a job it has purged (MinJobAge after its
    end: "Job dependency problem"), so an ended parent never goes in --dependency."""
    parents = submitted("5", "6")
    parents.ended(0, "COMPLETED")
    parents.ended(1, "FAILED")
    runs = job(2, ("afterok", (100,)), ("afternotok", (101,)), ("afterany", (101,)))
    assert parents.admit(runs) and not parents.doomed(runs)
    assert parents.expression(runs) == ""
    for kind, parent in (("afterok", 101), ("afternotok", 100)):
        never = job(3 + parent - 100, (kind, (parent,)))
        assert parents.admit(never) and parents.doomed(never), kind


def test_a_job_ended_before_slurm_saw_it_decides_its_held_children() -> None:
    parents = Parents()
    doomed = job(0)
    parents.admit(doomed)
    after_ok, after_any = job(1, ("afterok", (100,))), job(2, ("afterany", (100,)))
    assert not parents.admit(after_ok) and not parents.admit(after_any)
    assert parents.resolved(doomed, None, "CANCELLED") == [after_ok, after_any]
    assert parents.doomed(after_ok) and not parents.doomed(after_any)
    assert parents.expression(after_any) == ""
