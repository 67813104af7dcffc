"""wlgen matrix --executor slurm: simulator variants as a submitit job array on wlgen's own
container cluster, every variant's outcome back (a failing one as failed), the same runs
as a local sweep."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.clusters import per_run_name
from workload.cli.main import cli
from workload.errors import InputError
from workload.scenario import load_scenario
from workload.scenario.sweep import Variant
from workload.scenario.sweep_slurm import _require_shares, needed_shares

ROOT = Path(__file__).resolve().parents[2]
LUBLIN = ROOT / "tests" / "data" / "lublin_256.swf"


def broken_trace_scenario(where: Path) -> Path:
    """A replay whose 61st record is broken: the variant replaying that far raises mid-run."""
    records = [ln for ln in LUBLIN.read_text().splitlines() if not ln.startswith(";")]
    (where / "t.swf").write_text("\n".join([*records[:60], "61 x 1 2 3", *records[61:80]])
                                 + "\n")
    (where / "s.yaml").write_text(
        "name: broken-trace\ncluster: {nodes: 4, cpus: 64}\n"
        "workload: {kind: replay, trace: t.swf}\n"
        "checks: {invariants: [no_overcommit, all_accounted]}\n")
    return where / "s.yaml"


def test_the_nodes_get_the_checkout_python_run_and_scenario_dirs_none_nested(tmp_path):
    scenario = load_scenario(str(broken_trace_scenario(tmp_path)), [])
    base = tmp_path / "out"
    shares = needed_shares([Variant("a", scenario, base / "00-a")], base)
    assert str(ROOT) in shares and str(Path(sys.base_prefix).resolve()) in shares
    assert str(tmp_path) in shares and str(base) not in shares   # base is inside tmp_path
    for a in shares:
        assert not any(Path(b) in Path(a).parents for b in shares), (a, shares)


def test_a_cluster_up_without_the_shares_is_refused_naming_what_is_missing():
    _require_shares(["/work", "/root/.pyenv"], ["/work/main", "/root/.pyenv/v"], "c1")
    with pytest.raises(InputError, match=r"without these directories shared.*: /tmp/x;") as err:
        _require_shares(["/work"], ["/work/main", "/tmp/x"], "c1")
    assert err.value.field == "--cluster"


@pytest.mark.requires_cluster
def test_executor_slurm_runs_each_variant_as_a_job_and_reports_the_failing_one(tmp_path):
    pytest.importorskip("submitit", reason="pip install -e '.[slurm]'")
    from workload.cluster import lifecycle
    from workload.cluster.cluster import Cluster

    scenario, name = str(broken_trace_scenario(tmp_path)), per_run_name("wlgen-mx")
    runner = CliRunner()
    args = ["matrix", scenario, "--vary", "workload.jobs=[20, 70, 30]", "--json"]
    try:
        result = runner.invoke(cli, [*args, "--out", str(tmp_path / "slurm"), "--executor",
                                     "slurm", "--cluster", name, "-j", "2"],
                               catch_exceptions=False)
    finally:
        if Cluster.running(name) is not None:
            lifecycle.down(name)
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert [(v["label"], v["status"]) for v in data["variants"]] == [
        ("jobs=20", "passed"), ("jobs=70", "ERROR"), ("jobs=30", "passed")]
    assert "t.swf:61" in data["variants"][1]["error"]
    assert data["comparison"]["runs"] == ["jobs=20", "jobs=30"]
    # Each task ran on a node of the cluster (submitit's log names it) ...
    logs = sorted((tmp_path / "slurm" / ".submitit").glob("*_log.out"))
    hosts = {ln.split("hostname=")[1].split(",")[0] for log in logs
             for ln in log.read_text().splitlines() if "hostname=" in ln}
    assert len(logs) == 3 and hosts <= {"n1", "n2"} and hosts
    assert Cluster.running(name) is None          # ... which the sweep brought up and down
    # ... and wrote what a local sweep writes.
    local = runner.invoke(cli, [*args, "--out", str(tmp_path / "local")], catch_exceptions=False)
    assert json.loads(local.stdout)["comparison"] == data["comparison"]
    for run in ("00-jobs=20", "02-jobs=30"):
        assert (tmp_path / "slurm" / run / "events.jsonl").read_bytes() == \
            (tmp_path / "local" / run / "events.jsonl").read_bytes()
