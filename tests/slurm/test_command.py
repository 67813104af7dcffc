"""The pure submit request, its sbatch rendering, and the retry rules."""

from __future__ import annotations

import pytest

import dataclasses

from workload.backends.slurm.command import impossible
from workload.backends.slurm.command import sbatch_argv as render
from workload.backends.slurm.request import SubmitRequest, submit_request, time_limit
from workload.backends.slurm.retry import AMBIGUOUS, REJECT, RETRY, backoff, busy, classify
from workload.backends.slurm.tags import job_name, run_prefix, seq_of
from workload.errors import InputError
from workload.spec import JobSpec

SPEC = JobSpec(seq=7, submit_s=0, procs=4, runtime_s=30, time_limit_s=61)


def sbatch_argv(spec: JobSpec, run_id: str, **options) -> list[str]:
    """The argv of the request for ``spec`` (what the backend does, in one call)."""
    return render(submit_request(spec, run_id, "#!/bin/bash\ntrue\n", **options))


def test_argv_is_a_list_with_tag_tasks_and_minutes() -> None:
    argv = sbatch_argv(SPEC, "r1", account="wlgen", mem_per_cpu_mb=512)
    assert argv[:2] == ["sbatch", "--parsable"]
    assert "--job-name=wlgen.r1.7" in argv and "--ntasks=4" in argv and "--time=2" in argv
    assert "--account=wlgen" in argv and "--mem-per-cpu=512" in argv
    assert not any(a.startswith("--nodes") for a in argv)
    assert "--nodes=2" in sbatch_argv(SPEC.with_(nodes=2), "r1")


def test_spec_values_override_defaults() -> None:
    spec = SPEC.with_(account="physics", partition="big", mem_per_cpu_mb=100)
    argv = sbatch_argv(spec, "r1", account="wlgen", partition="batch", mem_per_cpu_mb=512)
    assert {"--account=physics", "--partition=big", "--mem-per-cpu=100"} <= set(argv)


@pytest.mark.parametrize("change", [
    {"account": "a;rm -rf /"}, {"partition": "--uid=0"}, {"procs": 0}, {"nodes": -1},
    {"time_limit_s": float("nan")}, {"mem_per_cpu_mb": 1.5}, {"account": "$(id)"}])
def test_trace_fields_that_could_reach_a_shell_are_refused(change: dict) -> None:
    with pytest.raises(InputError):
        sbatch_argv(SPEC.with_(**change), "r1")


def test_unknown_extra_options_are_refused() -> None:
    assert sbatch_argv(SPEC, "r1", extra={"qos": "normal", "exclusive": ""})[-2:] == [
        "--qos=normal", "--exclusive"]
    with pytest.raises(InputError, match="unknown sbatch option"):
        sbatch_argv(SPEC, "r1", extra={"uid": "0"})
    with pytest.raises(InputError):
        sbatch_argv(SPEC, "r1", extra={"qos": "x y"})


def test_the_request_is_frozen_and_carries_the_script_not_the_argv() -> None:
    request = submit_request(SPEC, "r1", "S", extra={"no-requeue": "", "chdir": "/scratch"})
    assert (request.script, request.requeue, request.chdir) == ("S", False, "/scratch")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.tasks = 9   # type: ignore[misc]
    argv = render(request)
    assert "S" not in argv and "--no-requeue" in argv and "--chdir=/scratch" in argv
    assert "--chdir=/tmp" not in argv   # the option replaces the default, not appended


def test_a_request_field_sbatch_argv_does_not_know_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithLicenses(SubmitRequest):
        licenses: str = "matlab"
    plain = submit_request(SPEC, "r1", "S")
    wider = WithLicenses(**{f.name: getattr(plain, f.name) for f in dataclasses.fields(plain)})
    with pytest.raises(InputError, match="licenses"):
        render(wider)


def test_time_limit_rounds_up_to_whole_minutes() -> None:
    assert [time_limit(s) for s in (1, 60, 61, 3600)] == ["1", "1", "2", "60"]


def test_impossible_jobs_are_named() -> None:
    assert impossible(SPEC, 4, 8, 4096) is None
    assert "CPUs" in impossible(SPEC.with_(procs=33), 4, 8, 4096)
    assert "nodes" in impossible(SPEC.with_(nodes=5), 4, 8, 4096)
    assert "MB" in impossible(SPEC.with_(mem_per_cpu_mb=5000), 4, 8, 4096)


def test_tags_round_trip_and_reject_odd_run_ids() -> None:
    prefix = run_prefix("20261128-storm-ab12")
    assert seq_of(job_name("20261128-storm-ab12", 42), prefix) == 42
    assert seq_of("wlgen.other.42", prefix) is None and seq_of(prefix + "x", prefix) is None
    with pytest.raises(ValueError):
        run_prefix("a b")


@pytest.mark.parametrize("stderr, verdict", [
    ("sbatch: error: Batch job submission failed: Socket timed out on send/recv operation",  # noqa: E501 (stored real stderr)
     AMBIGUOUS),
    # Stored real stderr: 22.05's sbatch while its slurmctld restarted (a clean-clone CI
    # run, 2026-12-05): filed REJECT, the job was lost from a storm that should lose none.
    ("sbatch: error: Batch job submission failed: Transport endpoint is not connected",
     AMBIGUOUS),
    # scontrol release with slurmctld stopped (scontrol_release_no_controller_24.11.err):
    # filed REJECT, a held job was given up at once.
    ("Unexpected message received for job 1\nslurm_suspend error: Unexpected message received",
     AMBIGUOUS),
    ("sbatch: error: Batch job submission failed: Resource temporarily unavailable", RETRY),
    ("sbatch: error: Unable to contact slurm controller (connect failure)", RETRY),
    ("sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying", RETRY),
    ("sbatch: error: Batch job submission failed: Invalid account or account/partition", REJECT)])
def test_errors_are_classified(stderr: str, verdict: str) -> None:
    assert classify(stderr) == verdict


def test_busy_means_slurmctld_answered() -> None:
    assert busy("sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying")
    assert not busy("sbatch: error: Unable to contact slurm controller (connect failure)")


def test_backoff_doubles_to_a_cap() -> None:
    assert [backoff(a) for a in (1, 2, 3, 10)] == [0.2, 0.4, 0.8, 5.0]


def test_an_array_of_one_shape_runs_each_jobs_runtime_by_task_id() -> None:
    from workload.backends.slurm.pack import array_script, base_id, shape, task_id
    specs = [SPEC.with_(seq=s, runtime_s=r, user="u1") for s, r in ((4, 1), (9, 2.5), (11, 30))]
    assert len({shape(s) for s in specs}) == 1
    assert shape(SPEC.with_(time_limit_s=119)) == shape(SPEC)   # same minutes for Slurm
    assert shape(SPEC.with_(time_limit_s=121)) != shape(SPEC)
    script = array_script(specs, launcher="srun")
    assert "RUNTIMES=(1.0 2.5 30.0)" in script
    assert 'exec python3 -m jobs sleep --seconds "${RUNTIMES[$SLURM_ARRAY_TASK_ID]}"' \
        in script
    assert "4,9,11" in script
    argv = sbatch_argv(specs[0], "r1", tasks=3)
    assert "--array=0-2" in argv and "--job-name=wlgen.r1.4" in argv
    assert task_id("123", 2) == "123_2" and base_id("123_2") == base_id("123") == "123"


def test_an_array_script_runs_the_right_runtime_in_bash(tmp_path) -> None:
    import subprocess

    from workload.backends.slurm.pack import array_script
    specs = [SPEC.with_(seq=s, runtime_s=r, procs=1) for s, r in ((0, 1), (1, 7.25))]
    script = array_script(specs, python="echo")   # "echo -m jobs ..." prints the argv
    out = subprocess.run(["bash", "-c", script], env={"SLURM_ARRAY_TASK_ID": "1"},
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["-m", "jobs", "sleep", "--seconds", "7.25"]


def test_jobs_of_different_shapes_never_share_an_array() -> None:
    from workload.backends.slurm.pack import array_script
    with pytest.raises(ValueError):
        array_script([SPEC, SPEC.with_(seq=8, payload_args=("--fail-exit", "3"))])


@pytest.mark.parametrize("runtime", [-1.0, float("nan"), 10 ** 9])
def test_every_tasks_runtime_is_checked_not_only_the_first(runtime: float) -> None:
    from workload.backends.slurm.pack import array_script
    with pytest.raises(InputError, match="runtime_s"):
        array_script([SPEC, SPEC.with_(seq=8, runtime_s=runtime)])


def test_a_specs_qos_is_sent_and_what_no_request_carries_is_refused() -> None:
    assert "--qos=high" in sbatch_argv(SPEC.with_(qos="high"), "r1", extra={"qos": "normal"})
    assert "--gpus=2" in sbatch_argv(SPEC.with_(gpus=2), "r1")          # issue 16
    # A GPU job's nodes each run one of its tasks (24.11 spread 1 task over 2 nodes).
    assert f"--nodes=1-{SPEC.procs}" in sbatch_argv(SPEC.with_(gpus=2), "r1")
    pinned = sbatch_argv(SPEC.with_(gpus=2, nodes=1), "r1")
    assert "--nodes=1" in pinned and not [a for a in pinned if a.startswith("--nodes=1-")]
    assert "--gpus=a100:4" in sbatch_argv(SPEC.with_(gpus=4, gpu_type="a100"), "r1")
    assert not [a for a in sbatch_argv(SPEC, "r1") if a.startswith("--gpus")]
    with pytest.raises(InputError, match="gpu_type"):
        sbatch_argv(SPEC.with_(gpus=1, gpu_type="a 100"), "r1")
    with pytest.raises(InputError, match="depends"):   # source ids, not Slurm's: refused
        sbatch_argv(SPEC.with_(depends=(("afterok", (3,)),)), "r1")
    with pytest.raises(InputError, match="qos"):
        sbatch_argv(SPEC.with_(qos="a b"), "r1")


def test_dependency_in_slurm_ids_is_sent_and_anything_else_refused() -> None:
    spec = SPEC.with_(depends=(("afterok", (3,)), ("singleton", (4,))))
    argv = sbatch_argv(spec, "r1", dependency="afterok:12:13_4,afterany:9")
    assert "--dependency=afterok:12:13_4,afterany:9" in argv
    # Every parent ignored (not in the run, or refused): no option at all.
    assert not [a for a in sbatch_argv(spec, "r1", dependency="") if "dependency" in a]
    for bad in ("singleton", "afterok:12;rm", "before:3", "afterok:", "afterok:1,"):
        with pytest.raises(InputError, match="dependency"):
            sbatch_argv(spec, "r1", dependency=bad)


def test_a_source_arrays_throttle_goes_with_its_array_only() -> None:
    task = SPEC.with_(array_job=8, array_task=0, array_throttle=3)
    assert "--array=0-5%3" in sbatch_argv(task, "r1", tasks=6)
    alone = sbatch_argv(task, "r1")                  # one task: no array, nothing to throttle
    assert not [a for a in alone if a.startswith("--array")]
    assert "--array=0-5" in sbatch_argv(SPEC, "r1", tasks=6)
    # Its tasks share an array with each other only, never with a job of the same shape.
    from workload.backends.slurm.pack import shape
    assert shape(task) == shape(task.with_(array_task=1, runtime_s=9))
    assert shape(task) != shape(SPEC) and shape(task) != shape(task.with_(array_job=9))


def test_a_gpu_job_on_one_node_asks_per_node() -> None:
    """--gres, not --gpus, for a job whose tasks share one node: Slurm 26.05.5 started a
    --gpus=2 array task with one GPU (tests/slurm/data/gpu/26.05/tres-per-job-short-*)."""
    one = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=3, time_limit_s=60, gpus=2)
    argv = sbatch_argv(one, "r1")
    assert "--gres=gpu:2" in argv and "--nodes=1-1" in argv
    assert not [a for a in argv if a.startswith("--gpus")]
    typed = sbatch_argv(one.with_(procs=4, nodes=1, gpu_type="a100"), "r1")
    assert "--gres=gpu:a100:2" in typed and "--nodes=1" in typed
    request = submit_request(one, "r1", "S", tasks=8)
    assert (request.gres, request.gpus, request.array) == ("gpu:2", None, 8)
    # Tasks that may spread over nodes keep the whole job's count.
    spread = sbatch_argv(one.with_(procs=3), "r1")
    assert "--gpus=2" in spread and "--nodes=1-3" in spread
    assert not [a for a in spread if a.startswith("--gres")]


def test_gpus_per_node_are_asked_per_node_on_a_multi_node_job() -> None:
    # 4 GPUs over 2 pinned nodes, per node: --gpus-per-node=2 (a job-wide --gpus=4 is
    # what Slurm 26.05.5 could under-allocate), typed as sbatch writes it.
    spec = JobSpec(seq=0, submit_s=0, procs=2, runtime_s=1, time_limit_s=60, nodes=2,
                   gpus=4, gpu_type="a100", gpus_per_node=True)
    argv = render(submit_request(spec, "r", ""))
    assert "--gpus-per-node=a100:2" in argv and not [a for a in argv if a.startswith(
        ("--gpus=", "--gres="))]
    job_wide = render(submit_request(spec.with_(gpus_per_node=False), "r", ""))
    assert "--gpus=a100:4" in job_wide
    for bad in (spec.with_(nodes=None), spec.with_(gpus=3)):   # no pin; 3 over 2 nodes
        with pytest.raises(InputError, match="GPUs per node"):
            submit_request(bad, "r", "")
