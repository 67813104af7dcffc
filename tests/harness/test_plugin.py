"""The pytest plugin as its users see it: fixtures, markers, skips with reasons."""

from __future__ import annotations

import ast
import os
import shutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workload.event import REQUEUED
from workload.sources import StormSource
from workload.spec import JobSpec
from workload.testing import (assert_invariants, assert_metrics, assert_no_overcommit,
                              wlgen_run as plain_wlgen_run)
from workload.testing.require import missing


@pytest.mark.wlgen_cluster(nodes=2, cpus=4, policy="fcfs")
def test_sim_cluster_is_shaped_by_the_marker(sim_cluster, tmp_path):
    assert len(sim_cluster.info.nodes) == 2 and sim_cluster.info.total_cpus == 8
    obs = sim_cluster.run(StormSource(30, size="1-4", runtime="10-30", seed=1), out=tmp_path)
    assert {n for j in obs.jobs for n in j.nodes} <= {"n1", "n2"}
    assert_invariants(obs)
    assert_metrics(obs, {"submitted": {"eq": 30}, "unaccounted": {"eq": 0}})


def test_sim_cluster_defaults_without_a_marker(sim_cluster):
    assert (len(sim_cluster.info.nodes), sim_cluster.info.cpus_per_node) == (4, 8)
    assert sim_cluster.policy == "easy"


def test_wlgen_run_with_a_node_fault_requeues(wlgen_run):
    specs = [JobSpec(seq=i, submit_s=0, procs=4, runtime_s=100, time_limit_s=200)
             for i in range(4)]
    obs = wlgen_run(specs, nodes=2, cpus=4, faults=[(50, "n1", False), (60, "n1", True)])
    assert [e.seq for e in obs.events if e.state == REQUEUED]      # something was requeued
    assert all(j.state == "COMPLETED" for j in obs.jobs)
    assert_no_overcommit(obs)
    assert obs.run_dir is not None and (obs.run_dir / "requests.jsonl").exists()


def test_assertion_helpers_fail_with_counterexamples():
    from workload.testing import Row, hand_cluster, observed_from_rows
    obs = observed_from_rows([Row(0, 0, 0, 10, procs=3), Row(1, 0, 5, 15, procs=3)],
                             hand_cluster(1, 4))
    with pytest.raises(AssertionError,
                       match=r"(?s)FAIL no_overcommit.*seq=1, job_id=j1, time=5, node=n1"):
        assert_no_overcommit(obs)


def test_a_run_without_out_goes_below_pytests_temporary_directory(tmp_path_factory):
    # Hundreds of runs a suite: each one a directory left in /tmp is what this prevents.
    obs = plain_wlgen_run(StormSource(3), nodes=1, cpus=2)
    assert obs.run_dir is not None
    assert obs.run_dir.resolve().is_relative_to(tmp_path_factory.getbasetemp().resolve())


def test_runs_under_applies_within_its_block_only():
    from workload.testing.rundirs import new_run_dir, runs_under

    base = Path(new_run_dir("wlgen-base-"))
    with runs_under(base):
        inside = Path(new_run_dir("x-"))
    outside = Path(new_run_dir("x-"))
    try:
        assert inside.parent == base and outside.parent != base and outside.is_dir()
    finally:
        shutil.rmtree(base)
        outside.rmdir()


def test_the_plain_helper_works_outside_pytest_fixtures(tmp_path):
    obs = plain_wlgen_run(StormSource(5), nodes=1, cpus=2, out=tmp_path)
    assert obs.metrics["completed"] == 5 and len(obs.jobs) == 5


def run_pytest(tmp_path, body: str, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess:
    """pytest in a subprocess on one test file: the plugin comes from its entry point."""
    test = tmp_path / "test_example.py"
    test.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, "-m", "pytest", str(test), "-rs", "-q",
                           "-p", "no:cacheprovider", f"--rootdir={tmp_path}"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)


def test_slurm_cluster_skips_with_the_reason_it_cannot_come_up(tmp_path, monkeypatch):
    # Take the capability away: the inner pytest sees no podman or docker on PATH.
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    reason = missing("cluster")
    assert reason is not None
    done = run_pytest(tmp_path, """
        def test_needs_real_slurm(slurm_cluster):
            raise AssertionError("must not run")
    """, env=dict(os.environ))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert f"slurm_cluster: {reason}" in done.stdout


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    """The pytest example in README.md, as written there (so the two can't drift)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    (example,) = [b for b in blocks if "def test_" in b and "sim_cluster" in b]
    return example


def test_the_readme_example_passes_and_requires_markers_skip_with_a_reason(tmp_path):
    done = run_pytest(tmp_path, readme_example() + """

@pytest.mark.requires_slurm
def test_on_real_slurm():
    raise AssertionError("must not run here")
""", env={**os.environ, "PATH": str(tmp_path)})     # no podman, no scontrol: no Slurm
    assert "1 passed, 1 skipped" in done.stdout, done.stdout + done.stderr
    assert "needs Slurm" in done.stdout


def skipped_with_nothing_on_path(tmp_path, *needs: str) -> str:
    """pytest's report of one test a need, each marked requires_<need>, with an empty PATH."""
    body = "import pytest\n" + "".join(
        f"\n@pytest.mark.requires_{need}\ndef test_needs_{need}():\n"
        f"    raise AssertionError('must not run here')\n" for need in needs)
    done = run_pytest(tmp_path, body, env={**os.environ, "PATH": str(tmp_path)})
    assert f"{len(needs)} skipped" in done.stdout, done.stdout + done.stderr
    return done.stdout


def test_every_need_is_a_marker_that_skips_with_how_to_install(tmp_path):
    report = skipped_with_nothing_on_path(tmp_path, "chromium", "mpi")
    assert "chromium not installed (.ci/setup.d/50-chromium.sh" in report
    assert "mpirun not installed (.ci/setup.d/15-mpi.sh" in report
    listed = subprocess.run([sys.executable, "-m", "pytest", "--markers", "-p",
                             "no:cacheprovider"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert "@pytest.mark.requires_fabric: skip unless tc, ip" in listed.stdout


def test_a_login_node_and_a_suites_image_are_needs_too(tmp_path, monkeypatch):
    report = skipped_with_nothing_on_path(tmp_path, "slurm_clients", "image_sid")
    assert "sbatch, munged not installed (.ci/setup.d/25-slurm-client.sh" in report
    assert "needs podman or Docker" in report
    from workload.cluster import images
    monkeypatch.setattr(images, "image_exists", lambda engine, image: False)
    if shutil.which("podman") or shutil.which("docker"):
        assert missing("image_trixie") == (
            f"{images.slurm_image('trixie')} is not built (.ci/setup.d/30-slurm-images.sh "
            "builds it; or wlgen cluster build --slurm trixie)")


def test_skips_by_need_are_not_hand_written_in_the_tests():
    """Every skip for something this machine lacks comes from workload.testing.require:
    no test module writes a require_* helper or probes PATH itself before a skip."""
    tests = Path(__file__).resolve().parents[1]
    hand_written = []
    for path in tests.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        probes = "shutil.which" in _calls(tree) or "image_exists" in ast.unparse(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and (
                    node.name.startswith("require_") or
                    (probes and "pytest.skip" in _calls(node))):
                hand_written.append(f"{path.relative_to(tests)}:{node.lineno} {node.name}")
    assert hand_written == []


def _calls(tree: ast.AST) -> set[str]:
    return {ast.unparse(c.func) for c in ast.walk(tree) if isinstance(c, ast.Call)}
