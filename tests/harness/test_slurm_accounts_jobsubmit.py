"""A scenario's ``job_submit`` and ``accounts`` on real Slurm.

The first tests need no cluster: how the scenario becomes a ClusterSpec (the lua text
travels in it), the slurm.conf and mounts that spec gives, and the rules a scenario
must keep. The ``slurm`` tests share one run on their own 2-node cluster (the session's
``slurm_cluster`` has one fixed conf_extra and no job_submit.lua): the shipped
limit_walltime.lua clamps the 10 minutes every job asks for to 2, and jobs of two
accounts run under them (AccountingStorageEnforce=associations: a job whose association
was not created would be refused).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workload.checks.result import PASS
from workload.cluster.config import JOB_SUBMIT_LUA, ClusterSpec, render_slurm_conf
from workload.errors import ClusterError, InputError
from workload.scenario import load_scenario, run_scenario
from workload.scenario.backend import cluster_spec, sim_notes, slurm_notes

from tests.clusters import per_run_name

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
LUA = SCENARIOS / "job_submit" / "limit_walltime.lua"
CLUSTER = per_run_name("jsacct1")
ASKED_MIN, CLAMPED_MIN = 10, 2     # the jobs' time_limit_s, the script's MAX_MINUTES


def _part(user: str, account: str, seed: int) -> dict:
    return {"weight": 1, "workload": {
        "kind": "storm", "seed": seed, "size": "1-2", "runtime": "1-3",
        "time_limit_s": ASKED_MIN * 60, "users": 1,
        "transforms": {"user_map": {"u1": user}, "accounts": {user: account}}}}


SCENARIO = {
    "name": "js-accounts",
    "cluster": {"nodes": 2, "cpus": 4, "memory_mb": 2048},
    # job_comment: sacct reports the comment the script sets.
    "slurm": {"AccountingStorageEnforce": "associations",
              "AccountingStoreFlags": "job_comment"},
    "job_submit": {"lua": str(LUA)},
    "accounts": {"physics": {"fairshare": 50, "users": ["alice"]},
                 "chemistry": {"fairshare": 25, "users": ["bob"]}},
    "workload": {"kind": "mix", "jobs": 8,
                 "parts": [_part("alice", "physics", 1), _part("bob", "chemistry", 2)]},
    "checks": {"invariants": ["no_overcommit", "started_after_submit", "within_time_limit",
                              "all_accounted"]},
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# -- without a cluster -------------------------------------------------------------------

def test_the_lua_script_travels_in_the_cluster_spec_and_loads_the_plugin():
    spec = cluster_spec(load_scenario(SCENARIOS / "job-submit-walltime.yaml"))
    assert spec.job_submit_lua == LUA.read_text()
    conf = render_slurm_conf(spec)
    assert conf.count("JobSubmitPlugins=") == 1 and "JobSubmitPlugins=lua\n" in conf


def test_a_cluster_spec_with_a_script_alone_loads_lua_and_refuses_a_contradiction():
    assert "JobSubmitPlugins=lua\n" in render_slurm_conf(ClusterSpec(job_submit_lua="--"))
    both = ClusterSpec(job_submit_lua="--", conf_extra="JobSubmitPlugins=lua,all_partitions")
    assert render_slurm_conf(both).count("JobSubmitPlugins=") == 1
    with pytest.raises(ClusterError, match="does not load lua"):
        ClusterSpec(job_submit_lua="--", conf_extra="JobSubmitPlugins=all_partitions")


def test_only_the_controller_mounts_the_script():
    from workload.cluster.cluster import Cluster
    from workload.cluster.lifecycle import container_specs
    mounts = {c.hostname: [m for m in c.mounts if m[1] == JOB_SUBMIT_LUA]
              for c in container_specs(Cluster(ClusterSpec(name="jsx", nodes=2,
                                                           job_submit_lua="--")), "img")}
    assert [h for h, found in mounts.items() if found] == ["ctld"]
    assert mounts["ctld"][0][0].endswith("/etc/job_submit.lua") and mounts["ctld"][0][2]
    plain = container_specs(Cluster(ClusterSpec(name="jsx", nodes=2)), "img")
    assert not [m for c in plain for m in c.mounts if m[1] == JOB_SUBMIT_LUA]


def test_a_script_that_is_not_utf8_text_is_refused_naming_the_key(tmp_path):
    (tmp_path / "bad.lua").write_bytes(b"-- \xff\xfe\n")
    data = {"job_submit": {"lua": "bad.lua"}, "workload": {"kind": "storm", "jobs": 2}}
    with pytest.raises(InputError, match=r"s.yaml: field job_submit.lua='bad.lua': .*"
                                         r"not UTF-8 text"):
        load_scenario(write(tmp_path, data))


def test_notes_the_simulator_skips_job_submit_and_slurm_installs_accounts(tmp_path):
    scenario = load_scenario(write(tmp_path, SCENARIO))
    assert "job_submit: recorded for real Slurm; the simulator does not apply it" in \
        sim_notes(scenario)
    assert not [n for n in slurm_notes(scenario) if "accounts" in n]


# -- on real Slurm ------------------------------------------------------------------------

def on_slurm(test):
    """The markers of a test that needs real Slurm in containers."""
    for mark in (pytest.mark.slurm, pytest.mark.podman, pytest.mark.requires_root,
                 pytest.mark.requires_podman):
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    """One run of SCENARIO on a fresh cluster; its sacct rows {job name: fields}."""
    from workload.cluster import Cluster, down, wait_for

    tmp = tmp_path_factory.mktemp("js")
    scenario = load_scenario(write(tmp, SCENARIO))
    try:
        done = run_scenario(scenario, backend="slurm", out=tmp / "run", cluster=CLUSTER,
                            fresh=True, keep=True)
        cluster = Cluster.load(CLUSTER)
        prefix = f"wlgen.{done.result.run_id}."
        # Accounting lags the queue by a few seconds.
        rows = wait_for(lambda: _sacct(cluster, prefix, len(done.observed.jobs)), 60,
                        "sacct to list every job of the run")
        yield done, cluster, rows
    finally:
        down(CLUSTER)


def _sacct(cluster, prefix: str, count: int) -> dict[str, dict[str, str]] | None:
    fields = ("JobID", "JobName", "User", "Account", "TimelimitRaw", "Comment", "State")
    out = cluster.slurm(["sacct", "-X", "-n", "-P", "-a", "--starttime=now-1hour",
                         f"--format={','.join(fields)}"])
    rows = [dict(zip(fields, line.split("|"))) for line in out.splitlines()]
    mine = {r["JobID"]: r for r in rows if r["JobName"].startswith(prefix)}
    return mine if len(mine) >= count and all(r["State"] == "COMPLETED"
                                              for r in mine.values()) else None


@on_slurm
def test_job_submit_lua_clamps_every_jobs_time_limit(slurm_run):
    done, _, rows = slurm_run
    assert done.passed and all(c.status == PASS for c in done.checks), \
        "\n".join(c.summary() for c in done.checks)     # n/a is not a pass
    asked = {s.time_limit_s for s in done.observed.requests.values()}
    assert asked == {ASKED_MIN * 60}
    assert {r["TimelimitRaw"] for r in rows.values()} == {str(CLAMPED_MIN)}, rows
    assert {r["Comment"] for r in rows.values()} == {
        f"limit_walltime: time limit {ASKED_MIN} -> {CLAMPED_MIN} min"}, rows


@on_slurm
def test_accounts_become_associations_and_jobs_run_under_them(slurm_run):
    done, cluster, rows = slurm_run
    assert done.result.metrics["completed"] == len(SCENARIO["workload"]["parts"]) * 4
    assert {(r["User"], r["Account"]) for r in rows.values()} == {
        ("alice", "physics"), ("bob", "chemistry")}, rows
    out = cluster.slurm(["sacctmgr", "-n", "-P", "show", "assoc",
                         "format=Account,User,Fairshare"])
    assocs = {tuple(line.split("|")) for line in out.splitlines()}
    assert {("physics", "", "50"), ("chemistry", "", "25"), ("physics", "alice", "1"),
            ("chemistry", "bob", "1")} <= assocs, assocs

