"""`wlgen replay` of every stored sacct dump on the simulator: every row accounted for in
metrics.json (submitted + skipped == rows), and the replay options for accounting."""

from __future__ import annotations

import json

import pytest
from workload.sources.sacct import SacctSource, sniff

from tests.sources.conftest import MIXED, RELEASES, dump


def replay(wlgen, path, out, *extra: str) -> dict:
    result = wlgen("replay", str(path), "--backend", "sim", "--nodes", "2", "--cpus", "4",
                   "--out", str(out), "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("release,name", MIXED)
def test_replay_accounts_for_every_row(wlgen, tmp_path, release, name):
    path = dump(release, name)
    rows = SacctSource(path, kind=sniff(path)).rows
    metrics = replay(wlgen, path, tmp_path / "r")
    assert metrics["submitted"] + metrics["skipped"] == rows
    assert metrics["submitted"] == 19 and metrics["unaccounted"] == 0
    # the heterogeneous job is one job; its second component's row is counted with it
    key = "skipped_heterogeneous_job_component_after_the_first_replayed_within_its_job"
    assert metrics[key] == 1
    # FAILED, TIMEOUT and CANCELLED (while running) replay as what they were.
    assert (metrics["failed"], metrics["timeout"], metrics["cancelled"]) == (1, 1, 1)
    assert metrics["completed"] == 16
    ends = [json.loads(line) for line in (tmp_path / "r" / "events.jsonl").read_text()
            .splitlines()]
    ends = {e["state"]: e for e in ends if e["kind"] == "end"}
    if not (release == "22.05" and name == "sacct.json"):   # its JSON loses the code
        assert ends["FAILED"]["exit_code"] == 3
    # the heterogeneous job (1 + 2 CPUs) started and ended once, as one job of 3 CPUs
    requests = [json.loads(x) for x in (tmp_path / "r" / "requests.jsonl").read_text()
                .splitlines()]
    (het,) = [r["seq"] for r in requests if r.get("components")]
    events = [json.loads(x) for x in (tmp_path / "r" / "events.jsonl").read_text()
              .splitlines()]
    assert [(e["kind"], e["procs"]) for e in events if e["seq"] == het] == [
        ("submit", 3), ("start", 3), ("end", 3)]
    settings = json.loads((tmp_path / "r" / "settings.json").read_text())
    assert settings["source"]["format"] == sniff(path) and settings["source"]["rows"] == rows


@pytest.mark.parametrize("release", RELEASES)
def test_replay_storm_dump(wlgen, tmp_path, release):
    path = dump(release, "storm-sacct-P.txt")
    if not path.exists():
        pytest.skip(f"no storm dump stored for {release} (make_dumps.py could not run one)")
    metrics = replay(wlgen, path, tmp_path / "r")
    assert metrics["submitted"] == 12 and metrics["completed"] == 12 and metrics["skipped"] == 0


def test_format_option_overrides_the_content(wlgen, tmp_path):
    result = wlgen("replay", str(dump("24.11", "sacct.json")), "--format", "sacct",
                   "--backend", "sim", "--nodes", "2", "--cpus", "4", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "sacct.json:1: field header" in result.stderr and "JobID" in result.stderr


def test_accounts_and_qos_dumps_are_read_and_recorded(wlgen, tmp_path):
    release = "24.11"
    replay(wlgen, dump(release, "sacct-P-allocations.txt"), tmp_path / "r",
           "--accounts", str(dump(release, "sacctmgr-assoc.txt")),
           "--qos", str(dump(release, "sacctmgr-qos.txt")))
    source = json.loads((tmp_path / "r" / "settings.json").read_text())["source"]
    assert source["accounts"]["accounts"] == ["physics", "root", "wlgen"]
    assert source["accounts"]["users"] == 3          # root, alice, bob
    assert source["qos"]["names"] == ["normal", "high"]
    assert "unknown" not in source                   # every job's account and QOS is there


def test_anonymized_replay_keeps_the_schedule_and_hides_the_names(wlgen, tmp_path):
    path = dump("26.05", "sacct-P-allocations.txt")
    plain = replay(wlgen, path, tmp_path / "plain")
    secret = tmp_path / "map.json"
    hidden = replay(wlgen, path, tmp_path / "anon", "--anonymize", "--anonymize-map",
                    str(secret))
    for key in ("submitted", "completed", "timeout", "skipped", "wait_mean_s", "makespan_s"):
        assert hidden[key] == plain[key], key
    events = (tmp_path / "anon" / "events.jsonl").read_text()
    assert "alice" not in events and "bob" not in events
    mapping = json.loads(secret.read_text())
    assert set(mapping["user"]) == {"alice", "bob"} and mapping["user"]["alice"] in events


def test_anonymize_map_needs_anonymize(wlgen, tmp_path):
    result = wlgen("replay", str(dump("24.11", "sacct.json")), "--anonymize-map",
                   str(tmp_path / "m.json"), "--backend", "sim", "--nodes", "1", "--cpus", "1")
    assert result.exit_code == 2 and "--anonymize-map needs --anonymize" in result.stderr
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize("release", ["24.11", "26.05"])
def test_dependencies_hold_jobs_on_the_simulator(wlgen, tmp_path, release):
    path = dump(release, "sacct-P-allocations.txt")
    names = {spec.seq: spec.name for spec in SacctSource(path, kind="sacct")}
    replay(wlgen, path, tmp_path / "r")
    events = [json.loads(line) for line in (tmp_path / "r" / "events.jsonl").read_text()
              .splitlines()]
    start = {e["seq"]: e["time"] for e in events if e["kind"] == "start"}
    end = {e["seq"]: e["time"] for e in events if e["kind"] == "end"}
    seq = {name: [s for s, n in sorted(names.items()) if n == name] for name in names.values()}
    assert start[seq["after-ok"][0]] >= end[seq["ok"][0]] > start[seq["ok"][0]]
    assert start[seq["after-any"][0]] >= end[seq["fail"][0]]
    assert start[seq["after-notok"][0]] >= end[seq["fail"][0]]
    first, second = seq["single"]
    assert start[second] >= end[first]


def test_a_dependency_that_cannot_be_met_cancels_the_job(tmp_path):
    from workload.backends.sim import make_cluster_info
    from workload.backends.select import make_backend
    from workload.run.runner import run_workload
    from workload.spec import JobSpec
    specs = [JobSpec(seq=0, submit_s=0, procs=1, runtime_s=5, time_limit_s=60, source_id=1,
                     final_state="FAILED", exit_code=2),
             JobSpec(seq=1, submit_s=0, procs=1, runtime_s=5, time_limit_s=60, source_id=2,
                     depends=(("afterok", (1,)),)),
             JobSpec(seq=2, submit_s=0, procs=1, runtime_s=5, time_limit_s=60, source_id=3,
                     depends=(("afternotok", (1,)),))]
    backend = make_backend("sim", make_cluster_info(1, 4, 4000), policy="easy")
    result = run_workload(specs, backend, out=tmp_path / "r")
    events = [json.loads(line) for line in (tmp_path / "r" / "events.jsonl").read_text()
              .splitlines()]
    ends = {e["seq"]: e for e in events if e["kind"] == "end"}
    assert ends[0]["state"] == "FAILED" and ends[0]["exit_code"] == 2
    assert ends[1]["state"] == "CANCELLED" and ends[1]["reason"] == "DependencyNeverSatisfied"
    assert ends[2]["state"] == "COMPLETED" and ends[2]["time"] == ends[0]["time"] + 5
    assert result.metrics["unaccounted"] == 0


def test_speedup_keeps_the_cancel_point_with_the_run(wlgen, tmp_path):
    metrics = replay(wlgen, dump("26.05", "sacct-P-allocations.txt"), tmp_path / "r",
                     "--speedup", "4")
    assert (metrics["failed"], metrics["timeout"], metrics["cancelled"]) == (1, 1, 1)
