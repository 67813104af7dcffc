"""The batch script builder (backends.slurm.script) and the payload chooser
(sources.payload): pure, no MPI."""

from __future__ import annotations

import shlex

import pytest

from jobs.__main__ import build_parser
from workload.errors import InputError
from workload.backends.slurm.script import build_batch_script, payload_argv
from workload.sources.payload import PayloadMapping, choose_payload
from workload.spec import JobSpec


def job(**changes) -> JobSpec:
    base = JobSpec(seq=7, submit_s=0.0, procs=4, runtime_s=12.5, time_limit_s=60.0)
    return base.with_(**changes)


def test_script_runs_the_kernel_under_srun_pmix():
    script = build_batch_script(job(payload="allreduce", payload_args=("--size", "1024")))
    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash"
    assert lines[-1] == ("exec srun --mpi=pmix python3 -m jobs allreduce "
                         "--seconds 12.5 --size 1024")


def test_single_process_kernels_and_single_tasks_need_no_launcher():
    assert payload_argv(job(payload="sleep"))[:3] == ["python3", "-m", "jobs"]
    assert payload_argv(job(payload="cpu", procs=1))[0] == "python3"
    assert payload_argv(job(payload="cpu"), launcher="none")[0] == "python3"


def test_mpirun_launcher_gets_the_rank_count():
    argv = payload_argv(job(payload="ring"), launcher="mpirun", python="/usr/bin/python3")
    assert argv[:4] == ["mpirun", "-np", "4", "/usr/bin/python3"]


def test_arguments_are_canonical_and_accepted_by_the_kernel_cli():
    argv = payload_argv(job(payload="cpu", payload_args=("--duty=.5", "--overrun")))
    assert argv[-3:] == ["--duty", "0.5", "--overrun"]
    opts = build_parser().parse_args(argv[argv.index("jobs") + 1:])
    assert (opts.kernel, opts.seconds, opts.duty, opts.overrun) == ("cpu", 12.5, 0.5, True)


@pytest.mark.parametrize("args", [
    ("; rm -rf /",),
    ("--size", "1024; rm -rf /"),
    ("--dir", "/tmp; rm -rf /"),
    ("--dir", "$(reboot)"),
    ("--dir=`id`",),
    ("--dir", "-rf"),
    ("--dir", ""),
    ("--size", "1e3"),
    ("--duty", "nan"),
    ("--duty", "2"),
    ("--seconds", "5"),          # the runtime comes from the spec only
    ("--size",),                 # value missing
    ("--overrun=yes",),
    ("--kernels", "cpu,rm"),
    (5,),
    "--size 5",                  # a string is not a sequence of arguments
])
def test_hostile_or_wrong_arguments_are_rejected(args):
    with pytest.raises(InputError) as error:
        build_batch_script(job(payload="mixed", payload_args=args))
    assert error.value.field == "payload_args"


@pytest.mark.parametrize("changes, field", [
    ({"payload": "sleep; reboot"}, "payload"),
    ({"payload": "os"}, "payload"),
    ({"runtime_s": float("inf")}, "runtime_s"),
    ({"runtime_s": -1.0}, "runtime_s"),
    ({"procs": 0}, "procs"),
])
def test_bad_spec_fields_are_rejected(changes, field):
    with pytest.raises(InputError) as error:
        build_batch_script(job(**changes))
    assert error.value.field == field


@pytest.mark.parametrize("options, field", [
    ({"launcher": "bash -c"}, "launcher"),
    ({"python": "python3 -c 'import os'"}, "python"),
])
def test_bad_builder_options_are_rejected(options, field):
    with pytest.raises(InputError) as error:
        build_batch_script(job(), **options)
    assert error.value.field == field


def test_safe_paths_are_still_quoted():
    script = build_batch_script(job(payload="io", payload_args=("--dir", "/scratch/a,b=c")))
    command = shlex.split(script.splitlines()[-1])
    assert command[-2:] == ["--dir", "/scratch/a,b=c"]


def test_sleep_mapping_makes_every_job_sleep():
    mapping = PayloadMapping.parse("sleep")
    chosen = {choose_payload(job(seq=i, payload="cpu"), mapping).payload for i in range(20)}
    assert chosen == {"sleep"}


def test_executable_number_picks_before_the_mix():
    mapping = PayloadMapping(by_executable={3: "halo"}, mix=(("cpu", 1.0),),
                             args={"halo": ("--size=2048",)})
    picked = choose_payload(job(executable=3), mapping)
    assert (picked.payload, picked.payload_args) == ("halo", ("--size", "2048"))
    assert choose_payload(job(executable=4), mapping).payload == "cpu"


def test_weighted_mix_is_seeded_and_order_independent():
    mapping = PayloadMapping.parse("cpu=3,allreduce=1", seed=42)
    forward = [choose_payload(job(seq=i), mapping).payload for i in range(400)]
    backward = [choose_payload(job(seq=i), mapping).payload for i in reversed(range(400))]
    assert forward == backward[::-1]
    assert forward.count("cpu") / 400 == pytest.approx(0.75, abs=0.07)
    other_seed = PayloadMapping.parse("cpu=3,allreduce=1", seed=43)
    assert forward != [choose_payload(job(seq=i), other_seed).payload for i in range(400)]


@pytest.mark.parametrize("text", ["cpu=x", "cpu=-1", "cpu=0", "bogus=1", "bogus"])
def test_bad_payload_option_is_an_input_error(text):
    with pytest.raises(InputError):
        PayloadMapping.parse(text)
