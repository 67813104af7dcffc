"""schedule.swf as other tools read it: every kind of run, read back strictly and checked
against its own events (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from workload.backends.sim import SimBackend, make_cluster_info
from workload.cli.main import cli
from workload.run.remeasure import measure_run_dir, measure_swf
from workload.rundir import read_events
from workload.run.runner import run_workload
from workload.run.schedule import build_schedule
from workload.run.swfheader import END_STATES
from workload.sources import StormSource
from workload.swf import SwfReader

from tests.swfcheck import assert_schedule_true_to_events, implied_overcommit

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
STANDARD = ("Version", "Computer", "Installation", "Conversion", "MaxJobs", "MaxRecords",
            "Preemption", "UnixStartTime", "TimeZoneString", "StartTime", "EndTime",
            "MaxNodes", "MaxProcs", "MaxQueues", "Queues", "MaxPartitions", "Partitions")


def wlgen(*args: str, codes: tuple[int, ...] = (0,)) -> None:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in codes, result.output


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """One run directory of each kind: storm, two replays, a scenario with NODE_FAIL."""
    base = tmp_path_factory.mktemp("runs")
    storm = run_workload(StormSource(2000, size="1-64", runtime="10-60", seed=3),
                         SimBackend(make_cluster_info(8, 32)), kind="storm",
                         out=base / "storm", settings={"policy": "easy"})
    assert storm.metrics["completed"] == 2000
    wlgen("replay", str(DATA / "HPC2N-2002-2.2-alea-subset.swf"), "--backend", "sim",
          "--out", str(base / "hpc2n"))
    wlgen("replay", str(DATA / "CQSim-test-KTH-header-9jobs.swf"), "--backend", "sim",
          "--policy", "fcfs", "--out", str(base / "kth"))
    wlgen("run", str(ROOT / "scenarios" / "node-failure-requeue.yaml"), "--set",
          "slurm.JobRequeue=0", "--set", "workload.jobs=120", "--out", str(base / "scenario"),
          codes=(0, 1))       # 1: its check "node_fail: 0" fails without requeue, as meant
    scenario = next(p for p in (base / "scenario").rglob("events.jsonl")).parent
    return {"storm": base / "storm", "hpc2n": base / "hpc2n", "kth": base / "kth",
            "scenario": scenario}


def settings_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "settings.json").read_text())


@pytest.mark.parametrize("kind", ["storm", "hpc2n", "kth", "scenario"])
def test_schedule_reads_back_strictly_and_agrees_with_the_events(runs, kind):
    assert_schedule_true_to_events(runs[kind])


def test_the_old_rounding_implies_an_overcommit_the_sweep_finds(runs):
    """Wait and run rounded separately (the old writer) fail the same sweep: it has teeth."""
    run_dir = runs["storm"]
    epoch = settings_of(run_dir)["epoch"]
    old = []
    for job in build_schedule(read_events(run_dir / "events.jsonl")):
        old.append(_Rec(round(job.submit - epoch, 3), round(job.wait, 3), round(job.run, 3),
                        job.procs))
    assert implied_overcommit(old, 256)


class _Rec:
    def __init__(self, submit, wait, run, procs):
        self.submit, self.wait, self.run, self.alloc_procs = submit, wait, run, procs


def test_storm_header_states_every_standard_field(runs):
    header = SwfReader(runs["storm"] / "schedule.swf").header
    keys = [k for k, _ in header.entries]
    assert [k for k in keys if k in STANDARD] == list(STANDARD)     # all, in the usual order
    assert all(header.get(k) for k in STANDARD)
    assert header.get("TimeZoneString") == "UTC"
    assert header.get("Computer") == "wlgen simulated cluster sim (8 nodes, 256 CPUs)"
    assert header.get_all("Partition") == ["1 batch"]
    assert any("EASY policy" in n for n in header.get_all("Note"))
    assert header.get(END_STATES) == "COMPLETED 2000"
    # Readers such as evalys split a header line at its last ": ".
    assert all(": " not in v for _, v in header.entries)


def test_replay_header_describes_the_file_and_keeps_the_source_apart(runs):
    header = SwfReader(runs["kth"] / "schedule.swf").header
    assert header.get_int("MaxJobs") == 9 and header.get_int("MaxProcs") == 100
    assert header.get("SourceMaxJobs") == "28490" and header.get("SourceMaxRecords") == "28490"
    assert header.get("SourceUnixStartTime") == "843480031"
    assert header.get("SourceNote") == "uses the EASY scheduler"
    notes = header.get_all("Note")
    assert "uses the EASY scheduler" not in notes
    assert any("FCFS policy" in n for n in notes)
    assert header.get("Acknowledge") == "Lars Malinowsky (the source trace)"
    assert header.get("TimeZoneString") == "Europe/Stockholm"
    assert header.get("StartTime").endswith(("CET 2026", "CEST 2026"))
    hpc2n = SwfReader(runs["hpc2n"] / "schedule.swf").header
    assert hpc2n.get_int("MaxJobs") == 3145 and hpc2n.get("SourceMaxJobs") == "527371"
    assert hpc2n.get_all("SourcePartition") == ["1 DEFAULT", "2 ALL"]
    assert hpc2n.get("SourceComment") is None       # no keyless lines but ";" ones
    assert ("25 record(s) of the source were not replayed and are not in this file "
            "(run time -1 (n/a) x25)") in hpc2n.get_all("Note")


def test_metrics_of_a_run_dir_carry_the_runs_skip_counts(runs):
    again = measure_run_dir(runs["hpc2n"])
    assert again["skipped"] == 25 and again["skipped_run_time_1_n_a"] == 25
    kept = json.loads((runs["hpc2n"] / "metrics.json").read_text())
    for key in ("submitted", "completed", "timeout", "wait_mean_s", "utilization"):
        assert again[key] == pytest.approx(kept[key]), key


@pytest.mark.parametrize("kind", ["hpc2n", "scenario"])
def test_swf_metrics_give_the_true_end_states_from_the_header(runs, kind):
    kept = json.loads((runs[kind] / "metrics.json").read_text())
    assert kept["timeout"] + kept["node_fail"] > 0       # status 0 in the file
    from_swf = measure_swf(runs[kind] / "schedule.swf")
    for key in ("completed", "failed", "timeout", "node_fail", "cancelled", "started"):
        assert from_swf[key] == kept[key], key
    assert from_swf["wait_mean_s"] == pytest.approx(kept["wait_mean_s"], abs=1e-3)
    assert from_swf["utilization"] == pytest.approx(kept["utilization"], rel=1e-6)


def test_a_cut_file_no_longer_trusts_the_header_states(runs, tmp_path):
    text = (runs["hpc2n"] / "schedule.swf").read_text().splitlines(keepends=True)
    first_status0 = next(i for i, line in enumerate(text)
                         if not line.startswith(";") and line.split()[10] == "0")
    cut = tmp_path / "cut.swf"
    cut.write_text("".join(text[:first_status0] + text[first_status0 + 1:]))
    kept = json.loads((runs["hpc2n"] / "metrics.json").read_text())
    from_swf = measure_swf(cut)
    assert from_swf["timeout"] == 0
    assert from_swf["failed"] == kept["timeout"] - 1      # SWF's own reading of status 0


def test_timeout_jobs_are_status_0_and_counted_in_the_header(tmp_path):
    result = run_workload(StormSource(6, runtime="100", time_limit_s=60, size="2", seed=1),
                          SimBackend(make_cluster_info(1, 4)), out=tmp_path / "r",
                          settings={"policy": "fcfs"})
    assert result.metrics["timeout"] == 6
    reader = SwfReader(tmp_path / "r" / "schedule.swf")
    records = list(reader)
    assert {r.status for r in records} == {0} and {r.run for r in records} == {60}
    assert reader.header.get(END_STATES) == "TIMEOUT 6"
    assert any("TIMEOUT" in n and "status 1 is COMPLETED" in n
               for n in reader.header.get_all("Note"))
    assert measure_swf(tmp_path / "r" / "schedule.swf")["timeout"] == 6


@pytest.mark.filterwarnings("ignore:The 'delim_whitespace' keyword:FutureWarning")
@pytest.mark.parametrize("kind", ["storm", "hpc2n"])
def test_evalys_utilisation_matches_wlgens(runs, kind):
    pytest.importorskip("pandas", reason="evalys needs pandas (< 3): pip install evalys 'pandas<3'")
    workload = pytest.importorskip("evalys.workload", reason="evalys not installed (dev extra)")
    import numpy as np
    import pandas as pd

    from workload.checks.observed import load_observed
    from workload.report.series import utilisation

    run_dir = runs[kind]
    path = run_dir / "schedule.swf"
    header = SwfReader(path).header
    procs, jobs = header.get_int("MaxProcs"), header.get_int("MaxJobs")
    # evalys's own from_csv reads the first record as column names (pandas header=0) and
    # loses job 1; read the file the way the README tells users to, then hand it over.
    columns = ["jobID", "submission_time", "waiting_time", "execution_time", "proc_alloc",
               "cpu_used", "mem_used", "proc_req", "user_est", "mem_req", "status", "uid",
               "gid", "exe_num", "queue", "partition", "prev_jobs", "think_time"]
    frame = pd.read_csv(path, comment=";", names=columns, header=None, sep=r"\s+")
    assert len(frame) == jobs
    loaded = workload.Workload(frame, **{k: v for k, v in header.entries if k})
    load = loaded.utilisation["load"]
    assert load.max() <= procs
    times, values = utilisation(load_observed(run_dir), float(loaded.UnixStartTime))
    busy = np.round(values * procs).astype(int)
    # The two step functions agree inside every evalys interval longer than the rounding.
    t = load.index.to_numpy()
    compared = 0
    for left, right, value in zip(t[:-1], t[1:], load.to_numpy()[:-1]):
        if right - left > 2e-3:
            assert busy[np.searchsorted(times, (left + right) / 2, side="right") - 1] == value
            compared += 1
    assert compared > len(t) / 2
    assert (int(load.max()), int(load.iloc[:-1].min())) == (busy.max(), busy[:-1].min())
    quirk = workload.Workload.from_csv(str(path))       # evalys parses the header itself
    assert (quirk.MaxProcs, quirk.MaxJobs) == (procs, jobs)
    assert quirk.UnixStartTime == header.get_int("UnixStartTime")
    assert quirk.TimeZoneString == header.get("TimeZoneString")   # Workload.plot needs it
    assert quirk.df["jobID"].iloc[0] == 2            # the first-line quirk the README notes


def test_writer_orders_numbers_clamps_and_says_what_is_missing(tmp_path):
    """Jobs end out of order; one never ends; one's submit is before the epoch."""
    from workload.backends.base import ClusterInfo, NodeInfo
    from workload.run.schedule import JobRecord
    from workload.run.swfheader import realised_header
    from workload.run.swfout import SwfScheduleWriter
    from workload.spec import JobSpec

    info = ClusterInfo("c", (NodeInfo("n1", 4, 1000, ("batch", "debug")),))
    header = realised_header(None, info, "r1", "sim", {"policy": "fcfs"})
    out = SwfScheduleWriter(tmp_path / "s.swf", header, epoch=1000.75)
    out.remember(JobSpec(0, 0, 2, 5, 60, mem_per_cpu_mb=100, group="g3"))
    ended = [JobRecord(2, "c", 1003.0, 1004.0, 1010.0, 1, "TIMEOUT", "u2", "gpu", ()),
             JobRecord(0, "a", 999.5, 1001.0, 1006.25, 2, "COMPLETED", "u1", "debug", ())]
    for job in ended:               # job 1 (seq 1) never ends
        out.add(job)
    out.close()
    reader = SwfReader(tmp_path / "s.swf")
    records = list(reader)
    assert [r.job for r in records] == [1, 3]
    first = records[0]
    assert (first.submit, first.wait, first.run) == (0, 1, 5.25)   # from 1000, not 999.5
    assert (first.req_mem, first.group, first.partition) == (100 * 1024, 3, 2)
    assert (records[1].status, records[1].partition) == (0, 3)
    header = reader.header
    assert header.get("UnixStartTime") == "1000" and header.get("MaxJobs") == "2"
    assert header.get_all("Partition") == ["1 batch", "2 debug", "3 gpu"]
    assert header.get("MaxPartitions") == "3"
    assert header.get(END_STATES) == "COMPLETED 1, TIMEOUT 1"
    notes = " | ".join(header.get_all("Note"))
    assert "1 job number(s) have no record" in notes
    assert "1 time(s) before UnixStartTime" in notes
    assert all(": " not in v for _, v in header.entries)     # evalys splits at the last


def test_metrics_command_shows_skips_and_says_how_status_0_was_read(runs, tmp_path):
    runner = CliRunner()
    run_dir = runner.invoke(cli, ["metrics", str(runs["hpc2n"]), "--json"])
    assert json.loads(run_dir.stdout)["skipped"] == 25
    assert "skipped input        25" in run_dir.stderr
    whole = runner.invoke(cli, ["metrics", str(runs["hpc2n"] / "schedule.swf")])
    assert "status 0 counted as failed" not in whole.stderr       # the header said
    text = (runs["hpc2n"] / "schedule.swf").read_text()
    plain = tmp_path / "plain.swf"         # the same records without wlgen's header
    plain.write_text("".join(x + "\n" for x in text.splitlines() if not x.startswith(";")))
    bare = runner.invoke(cli, ["metrics", str(plain), "--procs", "240", "--json"])
    kept = json.loads((runs["hpc2n"] / "metrics.json").read_text())
    assert json.loads(bare.stdout)["failed"] == kept["timeout"] > 0
    assert "status 0 counted as failed" in bare.stderr


def test_a_slurm_runs_header_names_slurm_and_its_client():
    from workload.backends.base import ClusterInfo, NodeInfo
    from workload.run.swfheader import realised_header

    nodes = tuple(NodeInfo(f"n{i}", 8, 16000) for i in range(1, 5))
    info = ClusterInfo("acc1", nodes, slurm_version="24.11.5", slurm_api="v0.0.42")
    header = realised_header(None, info, "r9", "slurm", {"policy": "easy"})
    assert header.get("Computer") == "Slurm 24.11.5 cluster acc1 (4 nodes, 32 CPUs)"
    (ran,) = [n for n in header.get_all("Note") if n.startswith("realised")]
    assert "real Slurm" in ran and "slurmrestd v0.0.42" in ran and "EASY" not in ran
    assert header.get("Acknowledge") is None and header.get("TimeZoneString") == "UTC"


def test_a_source_zone_that_is_no_zone_gives_utc():
    from workload.run.swfheader import realised_header
    from workload.swf import Header

    info = make_cluster_info(1, 4)
    for zone, expected in (("Mars/Olympus", "UTC"), ("../etc/passwd", "UTC"),
                           ("America/New_York", "America/New_York")):
        source = Header([("TimeZoneString", zone)])
        header = realised_header(source, info, "r", "sim")
        assert header.get("TimeZoneString") == expected
        assert header.get("SourceTimeZoneString") == zone
