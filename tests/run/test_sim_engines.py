"""The textbook simulator's fast engine (workload/backends/sim/vclock.py) against simpy.

The same command and seed must write the same run directory byte for byte with either
engine: events.jsonl, schedule.swf, requests.jsonl, metrics.json and settings.json,
apart from what differs between any two runs (the run id, the wall time) and the
``sim_engine`` field that names the engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workload.backends.sim.vclock import ENGINE_VAR, FAST, SIMPY

DATA = Path(__file__).resolve().parent.parent / "data"
FILES = ("events.jsonl", "schedule.swf", "requests.jsonl", "metrics.json", "settings.json")

# A textbook scenario (no slurm: section) with node faults, Slurm-like calibration
# (minute limits, periodic backfill) and wide jobs on a small cluster.
FAULTS = """\
name: engines-faults
cluster: {nodes: 4, cpus: 8}
sim: {time_limit_round_s: 60, bf_interval_s: 30}
workload: {kind: storm, jobs: 200, seed: 3, rate: 2, size: pow2:1-16, runtime: 20-400}
faults:
  - {at_s: 30, action: node_down, node: n2}
  - {at_s: 200, action: node_up, node: n2}
"""

CASES = {
    "hpc2n-easy": ["replay", str(DATA / "HPC2N-2002-2.2-alea-subset.swf"), "--policy", "easy"],
    "hpc2n-fcfs-whole-nodes": ["replay", str(DATA / "HPC2N-2002-2.2-alea-subset.swf"),
                               "--policy", "fcfs", "--nodes", "8", "--cpus", "4",
                               "--whole-nodes"],
    "kth9-easy": ["replay", str(DATA / "CQSim-test-KTH-header-9jobs.swf")],
    "lublin-easy": ["replay", str(DATA / "lublin_256.swf"), "--policy", "easy"],
    "lublin-fcfs-open": ["replay", str(DATA / "lublin_256.swf"), "--policy", "fcfs",
                         "--open-loop"],
    # Too big for the cluster: rejected at submit, on a tiny cluster.
    "lublin-tiny-no-scale": ["replay", str(DATA / "lublin_256.swf"), "--nodes", "2",
                             "--cpus", "4", "--no-scale"],
    "storm-multinode": ["storm", "--jobs", "400", "--rate", "5", "--poisson",
                        "--size", "pow2:1-64", "--runtime", "exp:120", "--users", "3",
                        "--nodes", "6", "--cpus", "8"],
    "storm-too-big": ["storm", "--jobs", "60", "--size", "1-20", "--nodes", "2", "--cpus", "8",
                      "--policy", "fcfs"],
}


def _normal(path: Path, name: str) -> bytes:
    """The file's bytes without what differs between any two runs of one command."""
    data = path.read_bytes()
    if name in ("metrics.json", "settings.json"):
        record = json.loads(data)
        assert record.pop("run_id")
        record.pop("wall_s", None)
        assert record.pop("sim_engine", None) in (None, FAST, SIMPY)
        return json.dumps(record, sort_keys=True).encode()
    run_id = json.loads((path.parent / "settings.json").read_text())["run_id"]
    return data.replace(run_id.encode(), b"RUN")


def _run(wlgen, monkeypatch, engine: str, args: list[str], out: Path) -> Path:
    monkeypatch.setenv(ENGINE_VAR, engine)
    result = wlgen(*args, "--out", str(out), "--json")
    assert result.exit_code in (0, 1), result.output
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_engine_writes_the_bytes_simpy_writes(wlgen, monkeypatch, tmp_path, case):
    args = CASES[case]
    fast = _run(wlgen, monkeypatch, FAST, args, tmp_path / "fast")
    slow = _run(wlgen, monkeypatch, SIMPY, args, tmp_path / "simpy")
    assert json.loads((fast / "settings.json").read_text())["sim_engine"] == FAST
    assert json.loads((slow / "settings.json").read_text())["sim_engine"] == SIMPY
    assert (fast / "events.jsonl").stat().st_size > 0
    for name in FILES:
        assert _normal(fast / name, name) == _normal(slow / name, name), name


def test_fast_engine_with_faults_and_calibration(wlgen, monkeypatch, tmp_path):
    scenario = tmp_path / "faults.yaml"
    scenario.write_text(FAULTS)
    runs = [_run(wlgen, monkeypatch, engine, ["run", str(scenario)], tmp_path / engine)
            for engine in (FAST, SIMPY)]
    events = (runs[0] / "events.jsonl").read_text()
    assert '"NODE_FAIL"' in events or '"REQUEUED"' in events   # the fault caught jobs
    for name in FILES:
        assert _normal(runs[0] / name, name) == _normal(runs[1] / name, name), name


def test_slurm_mode_and_wall_clock_keep_simpy(wlgen, monkeypatch, tmp_path):
    monkeypatch.delenv(ENGINE_VAR, raising=False)
    wlgen("storm", "--jobs", "5", "--policy", "slurm", "--out", str(tmp_path / "s"))
    assert json.loads((tmp_path / "s" / "settings.json").read_text())["sim_engine"] == SIMPY
    wlgen("storm", "--jobs", "5", "--out", str(tmp_path / "t"))
    assert json.loads((tmp_path / "t" / "settings.json").read_text())["sim_engine"] == FAST
