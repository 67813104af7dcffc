"""The pytest plugin (entry point ``pytest11: wlgen``): markers and fixtures.

Markers
  wlgen_cluster(nodes=4, cpus=8, mem_mb=64000, policy="easy")  shape of sim_cluster
  wlgen_slurm(nodes=2, cpus=4, mem_mb=2048, conf_extra="")     shape of slurm_cluster
                                                              (the largest any test asks)
  requires_<need>  (root, podman, runc, cluster, slurm, docker_cli, fabric, ibsim, mpi,
                   graphite, rsyslog, chromium, slurm_clients, image_<suite>:
                   workload.testing.require)  skip with the reason when the machine
                   lacks it; fixtures call require(need)
Fixtures
  sim_cluster     a ClusterUnderTest on the simulator, shaped by wlgen_cluster;
                  ``sim_cluster.run(workload) -> Observed``
  wlgen_run       ``wlgen_run(workload, **shape) -> Observed``, run dirs in tmp_path
  (every run made in a session without ``out`` goes below pytest's temporary directory)
  slurm_cluster   session-scoped real Slurm in containers (a SlurmUnderTest):
                  ``slurm_cluster.run(workload, faults=...) -> Observed``; brought up
                  once as a workload.cluster.session (reused if one of that name and
                  shape runs), every job the tests' runs submitted cancelled and the
                  cluster removed at the end if the session made it; skips with the
                  reason when this machine can't (root, podman, runc)

Nothing is imported at plugin load beyond pytest: the plugin is loaded by every pytest
session in an environment where slurm-wlgen is installed.
"""

from __future__ import annotations

import pytest

CLUSTER_MARKER = "wlgen_cluster"
SLURM_MARKER = "wlgen_slurm"
SHAPE = {"nodes": 4, "cpus": 8, "mem_mb": 64_000, "policy": "easy"}
# Predictable on purpose: a cluster of this name and shape that is already up is reused.
SLURM_NAME = "wlgen-pytest"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wlgen", "wlgen scheduler harness")
    group.addoption("--wlgen-slurm-nodes", type=int, default=2,
                    help="slurm_cluster: compute nodes at least (default 2).")
    group.addoption("--wlgen-slurm-cpus", type=int, default=4,
                    help="slurm_cluster: CPUs per node at least (default 4; may exceed "
                         "the host's cores).")
    group.addoption("--wlgen-slurm-name", default=SLURM_NAME,
                    help=f"slurm_cluster: the container cluster's name (default {SLURM_NAME}).")
    group.addoption("--wlgen-slurm-suite", default="bookworm",
                    help="slurm_cluster: Debian suite of the Slurm image (default bookworm).")


def pytest_configure(config: pytest.Config) -> None:
    from workload.testing.require import DESCRIPTIONS

    for line in (
        f"{CLUSTER_MARKER}(nodes=4, cpus=8, mem_mb=64000, policy='easy'): shape of the "
        "sim_cluster fixture",
        f"{SLURM_MARKER}(nodes=2, cpus=4, mem_mb=2048, conf_extra=''): what a test needs of "
        "the session's slurm_cluster",
        *(f"requires_{need}: skip unless {what}" for need, what in DESCRIPTIONS.items()),
    ):
        config.addinivalue_line("markers", line)


def pytest_runtest_setup(item: pytest.Item) -> None:
    from workload.testing.require import REQUIREMENTS, missing

    needs = [need for need in REQUIREMENTS if item.get_closest_marker(f"requires_{need}")]
    reason = missing(*needs) if needs else None
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _wlgen_runs_in_tmp(tmp_path_factory: pytest.TempPathFactory):
    """Runs made without ``out`` go below pytest's temporary directory (pruned by
    pytest), not one directory each in /tmp (testing/rundirs.py)."""
    from workload.testing.rundirs import runs_under

    with runs_under(tmp_path_factory.mktemp("wlgen-runs")):
        yield


@pytest.fixture
def sim_cluster(request: pytest.FixtureRequest):
    """A simulated cluster shaped by ``@pytest.mark.wlgen_cluster(...)``."""
    from workload.backends.sim import make_cluster_info
    from workload.testing.observe import ClusterUnderTest

    marker = request.node.get_closest_marker(CLUSTER_MARKER)
    shape = {**SHAPE, **(marker.kwargs if marker else {})}
    unknown = set(shape) - set(SHAPE)
    if unknown:
        raise pytest.UsageError(f"{CLUSTER_MARKER}: unknown option(s) {sorted(unknown)}; "
                                f"known: {sorted(SHAPE)}")
    info = make_cluster_info(shape["nodes"], shape["cpus"], shape["mem_mb"])
    return ClusterUnderTest(info, shape["policy"])


@pytest.fixture
def wlgen_run(tmp_path_factory: pytest.TempPathFactory):
    """``wlgen_run(workload, nodes=4, cpus=8, policy="easy", faults=...) -> Observed``."""
    from workload.testing.observe import wlgen_run as run

    def runner(workload, **options):
        options.setdefault("out", tmp_path_factory.mktemp("run"))
        return run(workload, **options)
    return runner


@pytest.fixture(scope="session")
def slurm_cluster(request: pytest.FixtureRequest):
    """Real Slurm in containers, shared by the session; skips with the reason it can't."""
    from workload.testing.require import missing

    reason = missing("cluster")
    if reason:
        pytest.skip(f"slurm_cluster: {reason}")
    yield from _bring_up(request.config, request.session)


def _bring_up(config: pytest.Config, session: pytest.Session):
    """Up (sized by the session's wlgen_slurm markers and the options), hand out,
    cancel what the tests submitted and remove what we started."""
    from workload.testing.slurm import SHAPE as SLURM_SHAPE
    from workload.testing.slurm import shape_of, slurm_session

    defaults = {**SLURM_SHAPE, "nodes": config.getoption("--wlgen-slurm-nodes"),
                "cpus": config.getoption("--wlgen-slurm-cpus")}
    markers = [m.kwargs for item in session.items
               for m in item.iter_markers(SLURM_MARKER)]
    try:
        shape = shape_of(markers, defaults)
    except ValueError as err:
        raise pytest.UsageError(str(err)) from None
    with slurm_session(config.getoption("--wlgen-slurm-name"), shape,
                       config.getoption("--wlgen-slurm-suite")) as cluster:
        yield cluster

