"""Every stored real sacct dump parses with every row accounted for, and the mixed
workload's jobs (tests/data/sacct/mixed_workload.sh) come back as they ran."""

from __future__ import annotations

import pytest

from workload.sources.sacct import SacctSource, sniff
from workload.sources.sacct.het import HET_COMPONENT
from workload.spec import JobSpec

from tests.sources.conftest import MIXED, RELEASES, dump


def read(release: str, name: str) -> tuple[SacctSource, dict[str, list[JobSpec]]]:
    path = dump(release, name)
    source = SacctSource(path, kind=sniff(path))
    by_name: dict[str, list[JobSpec]] = {}
    for spec in source:
        by_name.setdefault(spec.name, []).append(spec)
    return source, by_name


def test_three_releases_are_stored():
    assert {"22.05", "24.11", "26.05"} <= set(RELEASES)


@pytest.mark.parametrize("release,name", MIXED)
def test_every_row_is_a_job_or_a_counted_skip(release, name):
    source, by_name = read(release, name)
    jobs = sum(len(v) for v in by_name.values())
    assert source.rows > 0
    assert jobs + sum(source.skipped.values()) == source.rows
    # 19 jobs ran (6 array tasks, one heterogeneous job of two components: its second
    # row is counted with it); 2 were cancelled before they started.
    assert jobs == 19
    assert source.skipped[HET_COMPONENT] == 1
    assert source.skipped["CANCELLED before it started"] == 2


@pytest.mark.parametrize("release,name", MIXED)
def test_end_states_replay_as_they_were(release, name):
    _, jobs = read(release, name)
    (failed,), (timeout,), (cancelled,) = jobs["fail"], jobs["timeout"], jobs["cancel-running"]
    assert failed.final_state == "FAILED"
    assert failed.payload_args[0] == "--fail-exit"      # so real Slurm sees it fail too
    if not (release == "22.05" and name == "sacct.json"):   # 22.05's JSON says 0 (bug)
        assert failed.exit_code == 3
    assert timeout.final_state == "TIMEOUT" and timeout.time_limit_s == 60
    assert timeout.runtime_s > timeout.time_limit_s     # so the replay is killed at its limit
    assert cancelled.final_state == "CANCELLED"
    assert 3 <= cancelled.cancel_after_s <= 8           # scancel ~4 s into its run
    assert cancelled.runtime_s == cancelled.cancel_after_s
    assert jobs["ok"][0].final_state is None


@pytest.mark.parametrize("release,name", MIXED)
def test_columns_become_the_spec(release, name):
    _, jobs = read(release, name)
    (ok,), (pipe,), (two,) = jobs["ok"], jobs["pipe|name"], jobs["two-nodes"]
    assert (ok.user, ok.procs, ok.time_limit_s, ok.account) == ("alice", 2, 120.0, "physics")
    assert pipe.user == "bob" and pipe.runtime_s >= 1      # the '|' re-joined
    assert (two.procs, two.nodes) == (4, 2)
    tasks = sorted(jobs["arr"], key=lambda s: s.array_task)
    assert [t.array_task for t in tasks] == list(range(6))
    assert len({t.array_job for t in tasks}) == 1
    if "JobIDRaw" in dump(release, name).read_text()[:300] or name == "sacct.json":
        assert len({t.source_id for t in tasks}) == 6      # JobIDRaw: one id per task
    else:
        assert {t.source_id for t in tasks} == {None}       # not in the dump: not made up
    if "QOS" in dump(release, name).read_text()[:400] or name == "sacct.json":
        assert ok.qos == "high"


@pytest.mark.parametrize("release,name", [m for m in MIXED if m[1] != "sacct-P-shuffled.txt"])
def test_begin_makes_eligible_the_submit_time(release, name):
    _, jobs = read(release, name)
    if release == "22.05" and name == "sacct.json":
        pytest.skip("22.05's sacct --json has no submit_line: --begin is not known")
    (begin,), (ok,) = jobs["begin"], jobs["ok"]
    assert 18 <= begin.submit_s - ok.submit_s <= 23      # --begin=now+20


@pytest.mark.parametrize("release,name", MIXED)
def test_dependencies_map_to_replayed_jobs(release, name):
    source, jobs = read(release, name)
    if release == "22.05" and name == "sacct.json":
        assert source.notes["no SubmitLine: dependencies and --begin unknown"] == 19
        return
    ok, fail = jobs["ok"][0].source_id, jobs["fail"][0].source_id
    assert jobs["after-ok"][0].depends == (("afterok", (ok,)),)
    assert jobs["after-any"][0].depends == (("afterany", (fail,)),)
    assert jobs["after-notok"][0].depends == (("afternotok", (fail,)),)
    first, second = sorted(jobs["single"], key=lambda s: s.source_id)
    assert first.depends == (("singleton", ()),)
    assert second.depends == (("singleton", (first.source_id,)),)


@pytest.mark.parametrize("release,name", MIXED)
def test_an_arrays_throttle_comes_from_its_submit_line(release, name):
    source, jobs = read(release, name)
    if release == "22.05" and name == "sacct.json":   # no SubmitLine: throttle unknown
        assert {s.array_throttle for s in jobs["arr"]} == {None}
        return
    assert len(jobs["arr"]) == 6 and {s.array_throttle for s in jobs["arr"]} == {3}
    assert {s.array_throttle for s in jobs["ok"]} == {None}


@pytest.mark.parametrize("release", RELEASES)
def test_every_dump_of_a_release_gives_the_same_jobs(release):
    def key(spec: JobSpec) -> tuple:
        return (spec.source_id, spec.user, spec.procs, spec.runtime_s, spec.time_limit_s,
                spec.submit_s, spec.final_state, spec.name)
    steps = sorted(map(key, SacctSource(dump(release, "sacct-P-steps.txt"), kind="sacct")))
    for name in ("sacct-P-allocations.txt", "sacct-p.txt", "sacct-P-epoch-noconvert.txt"):
        assert sorted(map(key, SacctSource(dump(release, name), kind="sacct"))) == steps
    from_json = sorted(map(key, SacctSource(dump(release, "sacct.json"), kind="sacct-json")))
    if release != "22.05":    # 22.05's JSON lacks the submit line, so --begin's submit differs
        assert from_json == steps


@pytest.mark.parametrize("release", RELEASES)
def test_steps_are_counted_not_replayed(release):
    with_steps = SacctSource(dump(release, "sacct-P-steps.txt"), kind="sacct")
    without = SacctSource(dump(release, "sacct-P-allocations.txt"), kind="sacct")
    assert with_steps.steps > 0 and without.steps == 0
    assert with_steps.rows - with_steps.steps == without.rows
