"""Pure parsers against stored real Slurm 22.05 output (see data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.backends.slurm.parse import (expand_hostlist, exit_code, parse_ping, parse_sacct,
                                           parse_gres, parse_sbatch, parse_sinfo, parse_squeue,
                                           parse_version, priority, squeue_exit_code)
from workload.backends.slurm.states import normalize

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def by_name(records):
    return {r.name: r for r in records}


def test_sbatch_parsable_gives_the_job_id() -> None:
    assert parse_sbatch(read("sbatch_parsable.txt")) == "1258"
    assert parse_sbatch("77;othercluster\n") == "77"
    with pytest.raises(ValueError, match="no job id"):
        parse_sbatch("sbatch: error: Batch job submission failed\n")


def test_squeue_states_of_real_jobs() -> None:
    jobs = by_name(parse_squeue(read("squeue_states.txt")))
    done = jobs["wlgen.cap.0"]
    assert (done.job_id, done.state, done.nodes) == ("1", "COMPLETED", ("n1",))
    assert (done.submit, done.start, done.end) == (1796369719, 1796369720, 1796369721)
    assert jobs["wlgen.cap.1"].state == "FAILED" and jobs["wlgen.cap.1"].reason == "NonZeroExitCode"
    running = jobs["wlgen.cap.2"]
    assert running.state == "RUNNING" and running.end is None   # EndTime is the limit, not an end
    requeued = jobs["wlgen.cap.4"]
    # Back to PENDING after `scontrol requeue`: StartTime is a future estimate, not a start.
    assert requeued.state == "PENDING" and requeued.start is None and requeued.nodes == ()
    assert jobs["wlgen.cap.5"].nodes == ("n1", "n2") and jobs["wlgen.cap.5"].cpus == 4
    assert jobs["wlgen.cap.3"].state == "CANCELLED"
    waiting = jobs["wlgen.cap.8"]   # all 32 CPUs of the cluster: it waits for them
    assert (waiting.state, waiting.reason, waiting.start) == ("PENDING", "Resources", None)


@pytest.mark.parametrize("release", ["", "_24.11"])
def test_squeue_gives_each_jobs_priority_and_why_it_waits(release: str) -> None:
    jobs = by_name(parse_squeue(read(f"squeue_states{release}.txt")))
    assert {r.priority for r in jobs.values()} == {10000}   # the cluster's PriorityWeight*
    assert jobs["wlgen.cap.4"].reason == "BeginTime"       # requeued: held ~2 min
    pending, running = parse_squeue(read(f"squeue_waited{release}.txt"))
    assert (pending.state, pending.reason, pending.priority) == ("PENDING", "Resources", 10000)
    assert (running.state, running.reason, running.nodes) == ("RUNNING", "None",
                                                              ("n1", "n2", "n3", "n4"))
    assert priority("N/A") is None and priority("4294901759") == 4294901759

def test_squeue_of_a_packed_storm_has_every_task_line() -> None:
    records = parse_squeue(read("squeue.txt"))
    assert len(records) == len(read("squeue.txt").splitlines()) == 40
    assert all(r.state == "COMPLETED" and r.user == "u1" and r.exit_code == 0
               for r in records)
    assert {r.job_id.partition("_")[0] for r in records} == {"10"}   # one array's tasks
    assert len({r.job_id for r in records}) == 40


def test_a_job_name_with_the_separator_stays_whole() -> None:
    line = read("squeue.txt").splitlines()[0].rsplit("|", 1)[0] + "|odd|name|x"
    (record,) = parse_squeue(line)
    assert record.name == "odd|name|x" and record.exit_code == 0


# name -> (state, exit code): exit 3, SIGKILL as 128+9, the kernel's --fail-exit 7.
REAL_ENDS = {"wlgen.cap.0": ("COMPLETED", 0), "wlgen.cap.1": ("FAILED", 3),
             "wlgen.cap.6": ("FAILED", 137), "wlgen.cap.7": ("FAILED", 7)}


@pytest.mark.parametrize("release", ["", "_24.11"])
def test_squeue_gives_the_exit_codes_sacct_gives(release: str) -> None:
    # 22.05 prints a raw wait status, 24.11 "code:signal": both must read as sacct's.
    queue = by_name(parse_squeue(read(f"squeue_states{release}.txt")))
    accounting = by_name(parse_sacct(read(f"sacct_exit_codes{release}.txt")))
    for name, (state, code) in REAL_ENDS.items():
        assert (queue[name].state, queue[name].exit_code) == (state, code), name
        assert (accounting[name].state, accounting[name].exit_code) == (state, code), name
    # Killed by scancel while running: squeue has the script's SIGTERM, accounting
    # recorded the end at the cancel, before the script had ended (0:0).
    assert queue["wlgen.cap.3"].exit_code == 143 and accounting["wlgen.cap.3"].exit_code == 0


@pytest.mark.parametrize("text, code", [
    ("0", 0), ("768", 3), ("9", 137), ("15", 143), ("1792", 7),      # 22.05: wait status
    ("3:0", 3), ("0:9", 137), ("0:0", 0),                            # 24.11+: code:signal
    ("4294967294", None), ("", None), ("N/A", None)])
def test_squeue_exit_codes_of_both_spellings(text: str, code: int | None) -> None:
    assert squeue_exit_code(text) == code


def test_sacct_final_states_exit_codes_and_never_started_jobs() -> None:
    jobs = by_name(parse_sacct(read("sacct.txt")))
    assert jobs["wlgen.t1.0"].exit_code == 0 and jobs["wlgen.t1.0"].state == "COMPLETED"
    assert jobs["wlgen.t1.1"].exit_code == 3 and jobs["wlgen.t1.1"].state == "FAILED"
    cancelled = jobs["wlgen.t1.5"]   # "CANCELLED by 0" while pending
    assert cancelled.state == "CANCELLED" and cancelled.start is None and cancelled.nodes == ()
    assert cancelled.end == 1795871096
    assert jobs["wlgen.t1.3"].start == 1795871052


def test_sinfo_version_and_ping() -> None:
    nodes, default = parse_sinfo(read("sinfo.txt"))
    assert default == "batch"
    assert nodes[0] == ("n1", 8, 4096, ("batch",), 0, None) and len(nodes) == 4
    assert parse_version(read("sinfo_version.txt")) == "22.05.8"
    assert parse_ping(read("scontrol_ping.txt"))
    assert not parse_ping("Slurmctld(primary) at ctld is DOWN\n")


@pytest.mark.parametrize("text, hosts", [
    ("n[1-3,7]", ("n1", "n2", "n3", "n7")), ("n01,gpu[08-10]", ("n01", "gpu08", "gpu09", "gpu10")),
    ("None assigned", ()), ("", ())])
def test_hostlists_expand(text: str, hosts: tuple[str, ...]) -> None:
    assert expand_hostlist(text) == hosts


@pytest.mark.parametrize("raw, state", [
    ("CANCELLED by 1000", "CANCELLED"), ("COMPLETING", "RUNNING"), ("BOOT_FAIL", "NODE_FAIL"),
    ("REQUEUE_HOLD", "REQUEUED"), ("OUT_OF_MEMORY", "OUT_OF_MEMORY"), ("CONFIGURING", "RUNNING"),
    ("PENDING", "PENDING"), ("RUNNING+COMPLETING", "RUNNING")])
def test_states_normalize(raw: str, state: str) -> None:
    assert normalize(raw) == state


def test_exit_codes_from_code_and_signal() -> None:
    codes = (exit_code("3:0"), exit_code("0:9"), exit_code("0:0"), exit_code(""))
    assert codes == (3, 137, 0, None)


def test_sacct_running_killed_and_requeued_jobs() -> None:
    jobs = by_name(parse_sacct(read("sacct_states.txt")))
    assert jobs["wlgen.cap.2"].state == "RUNNING" and jobs["wlgen.cap.2"].end is None
    assert jobs["wlgen.cap.6"].exit_code == 137 and jobs["wlgen.cap.6"].state == "FAILED"
    assert jobs["wlgen.cap.4"].state == "PENDING" and jobs["wlgen.cap.4"].start is None


def test_sinfo_gres_gives_gpus_per_node() -> None:
    nodes, _ = parse_sinfo(read("sinfo_gpus_24.11.txt"))     # real: gpu:2 on each node
    assert [n[4:] for n in nodes] == [(2, None), (2, None)]
    assert parse_gres("gpu:a100:4(S:0-1)") == (4, "a100")
    assert parse_gres("shard:8,gpu:2") == (2, None)
    assert parse_gres("(null)") == (0, None)
