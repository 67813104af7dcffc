"""Both Slurm clients end to end on the newer Debian suites: trixie (Slurm 24.11) and sid
(Slurm 26.05), whose sacct, sacctmgr and slurmrestd differ from bookworm's 22.05.

One cluster per suite for this module, with a per-run name so two test runs on
one machine never take down each other's. Skips with a reason when not root, podman is
missing or the suite's image was not built (CI builds it: .ci/setup.d/30-slurm-images.sh).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from workload.backends.slurm import make_backend
from workload.cluster import Cluster, ClusterSpec
from workload.testing.require import require

from tests.clusters import per_run_name, session_cluster

from .conftest import FAIL_EXIT, cancel_run_jobs, run_fail_and_pass
from .test_rest_backend import events_of, wlgen

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root]

#: suite -> the slurmrestd API version wlgen picks there: 24.11 offers v0.0.40-v0.0.42;
#: 26.05 offers v0.0.42-v0.0.45, and v0.0.45 is newer than any wlgen knows.
API_PICKED = {"trixie": "v0.0.42", "sid": "v0.0.44"}
CLIENTS = ("cli", "rest")
STORM_JOBS = 20


@pytest.fixture(scope="module", params=sorted(API_PICKED))
def suite_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """2 nodes x 4 CPUs of the suite, fresh for this module and removed at its end."""
    suite: str = request.param
    require("cluster", f"image_{suite}")     # skip rather than build an image here
    spec = ClusterSpec(name=per_run_name(f"wlgen-suite-{suite[:4]}"), nodes=2,
                       cpus=4, mem_mb=1024, suite=suite)
    with session_cluster(spec, [], before_down=cancel_run_jobs) as cluster:
        yield cluster


@pytest.mark.parametrize("client", CLIENTS)
def test_storm_accounts_for_every_job_with_slurms_own_times(suite_cluster: Cluster,
                                                            client: str,
                                                            tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = wlgen("storm", "--jobs", str(STORM_JOBS), "--runtime", "1-3", "--size", "1-4",
                 "--users", "3", "--backend", "slurm", "--slurm-client", client,
                 "--cluster", suite_cluster.name, "--json", "--out", str(run_dir))
    assert done.returncode == 0, done.stderr
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["submitted"] == metrics["completed"] == STORM_JOBS, metrics
    assert metrics["unaccounted"] == 0
    accounting = json.loads((run_dir / "accounting.json").read_text())
    assert accounting["by_state"] == {"COMPLETED": STORM_JOBS}
    assert accounting["unaccounted_seqs"] == []
    by_seq: dict[int, dict[str, dict]] = {}
    for event in events_of(run_dir):
        by_seq.setdefault(event["seq"], {})[event["kind"]] = event
        assert event["time"] == int(event["time"])   # Slurm's whole-second stamps
    assert sorted(by_seq) == list(range(STORM_JOBS))
    for seq, kinds in by_seq.items():
        assert list(kinds) == ["submit", "start", "end"], (seq, kinds)
        assert kinds["submit"]["time"] <= kinds["start"]["time"] <= kinds["end"]["time"]
        assert kinds["end"]["exit_code"] == 0 and kinds["end"]["nodes"], kinds["end"]
    # The REST client says which API version it picked from the server's /openapi/v3,
    # in the run's settings and on stderr; the CLI client speaks none.
    version = suite_cluster.slurm_version
    picked = API_PICKED[suite_cluster.spec.suite] if client == "rest" else None
    cluster = json.loads((run_dir / "settings.json").read_text())["cluster"]
    assert (cluster["slurm_api"], cluster["slurm_version"]) == (picked, version)
    said = [line for line in done.stderr.splitlines() if "slurmrestd API" in line]
    assert said == ([f"wlgen: slurmrestd API {picked} (Slurm {version})"] if picked else [])


@pytest.mark.parametrize("client", CLIENTS)
def test_a_failing_job_comes_back_failed_with_its_exit_code(suite_cluster: Cluster,
                                                            client: str,
                                                            tmp_path: Path) -> None:
    backend = make_backend(client=client, cluster=suite_cluster.name)
    ends = run_fail_and_pass(backend, tmp_path / "run")
    assert ends == {0: ("FAILED", FAIL_EXIT), 1: ("COMPLETED", 0)}


def test_adding_existing_users_again_is_no_error(suite_cluster: Cluster) -> None:
    """From 24.11 on sacctmgr exits 1 for an association that exists ("Request didn't
    affect anything"): every run after the first adds its users again."""
    cluster = Cluster.load(suite_cluster.name)   # the uids runs in subprocesses recorded
    first = cluster.add_users(["again1", "again2"])
    assert cluster.add_users(["again2", "again1"]) == first
    users = cluster.slurm(["sacctmgr", "-n", "-P", "list", "assoc", "format=User",
                           "account=wlgen"]).split()
    assert {"again1", "again2"} <= set(users)
