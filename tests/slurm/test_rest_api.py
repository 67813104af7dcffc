"""The pure slurmrestd request builders and parsers, against answers stored from real
servers (tests/slurm/data/rest/: v0.0.38 from Slurm 22.05.8, v0.0.42 from 24.11.5,
v0.0.44 from 26.05.5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dataclasses

from workload.backends.slurm.request import SubmitRequest, submit_request
from workload.backends.slurm.restapi import (Api, error_text, job_description, parse_db_jobs,
                                             parse_default_partition, parse_jobs, parse_nodes,
                                             parse_release, parse_submit, pick_api)
from workload.backends.slurm.restclient import RestFailure, _connection_failure, token_user
from workload.backends.slurm.retry import AMBIGUOUS, RETRY, classify
from workload.backends.slurm.tracker import Tracker
from workload.cluster.secrets import sign_jwt
from workload.errors import InputError
from workload.spec import JobSpec

DATA = Path(__file__).parent / "data" / "rest"
VERSIONS = ("v0.0.38", "v0.0.42", "v0.0.44")
SPEC = JobSpec(seq=7, submit_s=0, procs=4, runtime_s=30, time_limit_s=61, nodes=2)


def load(version: str, name: str) -> dict:
    return json.loads((DATA / version / f"{name}.json").read_text())


def latest(records: list, name: str) -> dict:
    """name's records of the last capture (the stored files hold two), by job id."""
    mine = [r for r in records if r.name == name]
    base = max(int(r.job_id.split("_")[0]) for r in mine)
    return {r.job_id: r for r in mine if int(r.job_id.split("_")[0]) == base}


# -- version ---------------------------------------------------------------------------
def test_newest_known_version_is_picked_from_the_servers_own_document() -> None:
    assert pick_api(load("v0.0.38", "openapi-paths")) == Api("v0.0.38", "")
    # 24.11 offers v0.0.40-42 and lists collection paths with a trailing slash.
    api = pick_api(load("v0.0.42", "openapi-paths"))
    assert api == Api("v0.0.42", "/")
    assert api.slurm("jobs") == "/slurm/v0.0.42/jobs/"
    assert api.slurm("job/submit") == "/slurm/v0.0.42/job/submit"
    assert api.slurmdb("jobs") == "/slurmdb/v0.0.42/jobs/"
    assert api.job("12") == "/slurm/v0.0.42/job/12"
    assert api.job("12_3") == "/slurm/v0.0.42/job/12_3"   # one task of an array
    with pytest.raises(ValueError):
        api.job("12/../../jobs")
    # 26.05 offers v0.0.42-45: v0.0.45 is newer than wlgen knows, v0.0.44 is picked.
    sid = load("v0.0.44", "openapi-paths")
    assert "/slurm/v0.0.45/job/submit" in sid["paths"]
    assert pick_api(sid) == Api("v0.0.44", "/")


def test_a_server_with_no_known_version_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="offers v0.0.39.*knows v0.0.38"):
        pick_api({"paths": {"/slurm/v0.0.39/job/submit": {}}})
    with pytest.raises(ValueError, match="no /slurm"):
        pick_api({"paths": {"/openapi/v3": {}}})


def test_unknown_newer_versions_fall_back_to_the_newest_known_one() -> None:
    paths = {f"/slurm/{v}/job/submit": {} for v in ("v0.0.42", "v0.0.45")}
    assert pick_api({"paths": paths}).version == "v0.0.42"


# -- submit ----------------------------------------------------------------------------
def test_job_description_v0_0_38_carries_every_request_field() -> None:
    request = submit_request(SPEC, "r1", "#!/bin/bash\ntrue\n", account="wlgen",
                             partition="batch", mem_per_cpu_mb=128,
                             extra={"qos": "normal", "exclusive": ""})
    body = job_description(request, {"PATH": "/bin"}, Api("v0.0.38"))
    assert body["script"] == "#!/bin/bash\ntrue\n"
    assert body["job"] == {
        "name": "wlgen.r1.7", "tasks": 4, "time_limit": 2, "standard_output": "/dev/null",
        "current_working_directory": "/tmp", "nodes": [2, 2], "memory_per_cpu": 128,
        "account": "wlgen", "partition": "batch", "qos": "normal", "exclusive": "true",
        "environment": {"PATH": "/bin"}}


def test_job_description_v0_0_40_and_later_put_script_and_environment_in_the_job() -> None:
    request = submit_request(SPEC.with_(nodes=None), "r1", "S", extra={"exclusive": ""})
    body = job_description(request, {"PATH": "/bin", "LANG": "C"}, Api("v0.0.42", "/"))
    assert set(body) == {"job"}
    job = body["job"]
    assert job["script"] == "S" and job["environment"] == ["PATH=/bin", "LANG=C"]
    assert job["shared"] == ["none"] and "nodes" not in job and "minimum_nodes" not in job
    nodes = job_description(submit_request(SPEC, "r1", "S"), {}, Api("v0.0.42"))["job"]
    assert (nodes["minimum_nodes"], nodes["maximum_nodes"]) == (2, 2)


def test_array_requeue_and_every_extra_option_reach_the_body() -> None:
    extra = {"reservation": "maint", "constraint": "ib&fast", "requeue": "",
             "output": "/tmp/%j.out", "chdir": "/scratch"}
    job = job_description(submit_request(SPEC, "r1", "S", tasks=10, extra=extra), {},
                          Api("v0.0.38"))["job"]
    assert (job["array"], job["requeue"], job["reservation"], job["constraints"]) == (
        "0-9", True, "maint", "ib&fast")
    assert (job["standard_output"], job["current_working_directory"]) == ("/tmp/%j.out",
                                                                          "/scratch")


def test_a_request_field_the_api_cannot_take_is_refused_not_dropped() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithLicenses(SubmitRequest):
        licenses: str = "matlab"
    plain = submit_request(SPEC, "r1", "S")
    wider = WithLicenses(**{f.name: getattr(plain, f.name) for f in dataclasses.fields(plain)})
    for api in (Api("v0.0.38"), Api("v0.0.44", "/")):
        with pytest.raises(InputError, match="licenses"):
            job_description(wider, {}, api)


def test_gpus_go_in_each_apis_own_field() -> None:
    # v0.0.38 has "gpus"; v0.0.40+ dropped it for tres_per_job (their OpenAPI documents,
    # read from 22.05, 24.11 and 26.05 servers); both were submitted to real Slurm.
    request = submit_request(SPEC.with_(gpus=2, gpu_type="a100"), "r1", "S")
    assert job_description(request, {}, Api("v0.0.38"))["job"]["gpus"] == "a100:2"
    job = job_description(request, {}, Api("v0.0.42", "/"))["job"]
    assert job["tres_per_job"] == "gres/gpu:a100:2" and "gpus" not in job
    assert (job["minimum_nodes"], job["maximum_nodes"]) == (2, 2)    # SPEC pins -N 2
    free = submit_request(SPEC.with_(gpus=1, nodes=None), "r1", "S")
    assert job_description(free, {}, Api("v0.0.38"))["job"]["nodes"] == [1, SPEC.procs]
    job = job_description(free, {}, Api("v0.0.44", "/"))["job"]
    assert (job["minimum_nodes"], job["maximum_nodes"]) == (1, SPEC.procs)
    plain = job_description(submit_request(SPEC, "r1", "S"), {}, Api("v0.0.44", "/"))["job"]
    assert "tres_per_job" not in plain and "gpus" not in plain


def test_a_dependency_goes_in_the_dependency_field_of_every_api() -> None:
    # "dependency" (a string, sbatch's syntax) in v0.0.38 through v0.0.44's job
    # description (their OpenAPI documents); submitted to 22.05 and 24.11 servers.
    request = submit_request(SPEC.with_(depends=(("afterok", (1,)),)), "r1", "S",
                             dependency="afterok:12_3")
    for api in (Api("v0.0.38"), Api("v0.0.42", "/"), Api("v0.0.44", "/")):
        assert job_description(request, {}, api)["job"]["dependency"] == "afterok:12_3"
    assert "dependency" not in job_description(submit_request(SPEC, "r1", "S"), {},
                                               Api("v0.0.42", "/"))["job"]


@pytest.mark.parametrize("version", VERSIONS)
def test_submit_answers_give_the_job_id_or_slurms_words(version: str) -> None:
    assert parse_submit(load(version, "submit")).isdigit()
    with pytest.raises(ValueError, match="Invalid partition"):
        parse_submit(load(version, "submit-error"))


@pytest.mark.parametrize("version", VERSIONS)
def test_a_job_queued_on_drained_nodes_is_accepted_despite_the_error(version: str) -> None:
    drained = load(version, "submit-drained")
    assert "Required node not available" in json.dumps(drained)
    assert parse_submit(drained).isdigit()   # the job exists: it must be tracked


# -- jobs ------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_jobs_give_states_times_and_exit_codes(version: str) -> None:
    records = parse_jobs(load(version, "jobs"))
    done, = latest(records, "wlgen.cap.0").values()
    assert done.priority == 10000   # a plain number on v0.0.38, {"set", "number"} later
    assert (done.state, done.exit_code, done.user, done.partition) == ("COMPLETED", 0, "root",
                                                                       "batch")
    assert done.submit <= done.start <= done.end and done.nodes == ("n1",)
    failed, = latest(records, "wlgen.cap.1").values()
    assert (failed.state, failed.exit_code) == ("FAILED", 3)
    killed, = latest(records, "wlgen.cap.2").values()
    assert (killed.state, killed.exit_code) == ("FAILED", 128 + 9)


@pytest.mark.parametrize("version", VERSIONS)
def test_array_tasks_one_record_each_pending_ones_too(version: str) -> None:
    tasks = latest(parse_jobs(load(version, "jobs")), "wlgen.cap.3")
    base = next(iter(tasks)).split("_")[0]
    assert sorted(tasks) == [f"{base}_{i}" for i in range(4)]
    running = [t for t in tasks.values() if t.state == "RUNNING"]
    pending = [t for t in tasks.values() if t.state == "PENDING"]
    assert len(running) == 2 and len(pending) == 2      # 4 CPUs each on 2 x 4 CPUs
    assert all(t.start and t.end is None and t.nodes for t in running)
    assert all(t.start is None and t.end is None and not t.nodes for t in pending)
    assert all(t.cpus == 4 for t in tasks.values())


@pytest.mark.parametrize("version", VERSIONS)
def test_accounting_records_match_the_queues(version: str) -> None:
    queue = parse_jobs(load(version, "jobs"))
    db = parse_db_jobs(load(version, "db-jobs"))
    for name in ("wlgen.cap.0", "wlgen.cap.2"):
        (q,), (d,) = latest(queue, name).values(), latest(db, name).values()
        assert (d.job_id, d.state, d.submit, d.start, d.end, d.nodes, d.exit_code) == \
            (q.job_id, q.state, q.submit, q.start, q.end, q.nodes, q.exit_code)
    running = [r for r in latest(db, "wlgen.cap.3").values() if r.state == "RUNNING"]
    assert len(running) == 2 and all("_" in r.job_id and r.end is None for r in running)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_short_job_seen_only_when_done_still_yields_submit_start_end(version: str) -> None:
    """The tracker (shared with the CLI backend) fed a REST record of a finished job."""
    rec, = latest(parse_jobs(load(version, "jobs")), "wlgen.cap.0").values()
    tracker = Tracker()
    tracker.add(0, rec.job_id, SPEC, "batch", (0.01, 0.0))
    kinds = [(e.kind, e.time, e.state) for e in tracker.observe(0, rec)]
    assert kinds == [("submit", rec.submit, "PENDING"), ("start", rec.start, "RUNNING"),
                     ("end", rec.end, "COMPLETED")]


# -- the cluster and errors ------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_nodes_partitions_and_release(version: str) -> None:
    assert parse_nodes(load(version, "nodes")) == [("n1", 4, 1024, ("batch",), 0, None),
                                                   ("n2", 4, 1024, ("batch",), 0, None)]
    # Issue 16: a 2-GPU node's gres ("gpu:2") as each version's server gave it.
    assert parse_nodes(load(version, "nodes-gpus")) == [("n1", 4, 4096, ("batch",), 2, None),
                                                        ("n2", 4, 4096, ("batch",), 2, None)]
    assert parse_default_partition(load(version, "partitions")) == "batch"
    release = parse_release(load(version, "partitions"))
    releases = {"v0.0.38": "22.05.8", "v0.0.42": "24.11.5", "v0.0.44": "26.05.5"}
    assert release == releases[version]


def test_error_text_of_a_refused_token_and_a_missing_job() -> None:
    assert error_text(load("v0.0.38", "auth-failure")) == "Unspecified error"
    assert "Invalid job id" in error_text(load("v0.0.38", "cancel-missing"))
    assert error_text(load("v0.0.42", "submit")) == ""


@pytest.mark.parametrize("reason, verdict", [
    (ConnectionRefusedError(), RETRY), (TimeoutError(), AMBIGUOUS),
    (ConnectionResetError(), AMBIGUOUS), (OSError("Name or service not known"), RETRY)])
def test_connection_failures_read_as_the_cli_retry_rules_expect(reason: object,
                                                                verdict: str) -> None:
    assert classify(str(_connection_failure(reason))) == verdict


def test_auth_statuses_and_the_tokens_user() -> None:
    assert RestFailure("x", 401).auth and RestFailure("x", 511).auth
    assert not RestFailure("x", 500).auth and not RestFailure("x").auth
    assert token_user(sign_jwt(b"k" * 32, "alice")) == "alice"
    assert token_user("not-a-jwt") is None


def test_an_arrays_throttle_is_part_of_its_array_in_each_api() -> None:
    task = SPEC.with_(array_job=8, array_task=0, array_throttle=3)
    for api in (Api("v0.0.38"), Api("v0.0.42", "/"), Api("v0.0.44", "/")):
        job = job_description(submit_request(task, "r1", "S", tasks=6), {}, api)["job"]
        assert job["array"] == "0-5%3" and "array_throttle" not in job


def test_a_gpu_job_on_one_node_asks_per_node_in_each_api() -> None:
    one = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=3, time_limit_s=60, gpus=2)
    request = submit_request(one, "r1", "S", tasks=8)
    legacy = job_description(request, {}, Api("v0.0.38"))["job"]
    assert legacy["gres"] == "gpu:2" and "gpus" not in legacy and legacy["array"] == "0-7"
    job = job_description(request, {}, Api("v0.0.44", "/"))["job"]
    assert job["tres_per_node"] == "gres/gpu:2" and "tres_per_job" not in job
    assert (job["minimum_nodes"], job["maximum_nodes"]) == (1, 1)


def test_gpus_per_node_reach_both_api_shapes() -> None:
    spec = JobSpec(seq=0, submit_s=0, procs=2, runtime_s=1, time_limit_s=60, nodes=2,
                   gpus=4, gpus_per_node=True)
    request = submit_request(spec, "r", "#!/bin/sh\n")
    assert job_description(request, {}, Api("v0.0.38"))["job"]["gpus_per_node"] == "2"
    job = job_description(request, {}, Api("v0.0.44"))["job"]
    assert job["tres_per_node"] == "gres/gpu:2" and "tres_per_job" not in job
