"""The pytest plugin (entry point ``pytest11: wlgen``): markers and fixtures.

Markers
  wlgen_cluster(nodes=4, cpus=8, mem_mb=64000, policy="easy")  shape of sim_cluster
  requires_root / requires_podman / requires_slurm            skip with a reason when
                                                              the machine lacks it
Fixtures
  sim_cluster     a ClusterUnderTest on the simulator, shaped by wlgen_cluster;
                  ``sim_cluster.run(workload) -> Observed``
  wlgen_run       ``wlgen_run(workload, **shape) -> Observed``, run dirs in tmp_path
  slurm_cluster   session-scoped real Slurm in containers; skips with the reason until
                  this machine and build can bring one up (see ``_bring_up``)

Nothing is imported at plugin load beyond pytest: the plugin is loaded by every pytest
session in an environment where slurm-wlgen is installed.
"""

from __future__ import annotations

import pytest

CLUSTER_MARKER = "wlgen_cluster"
SHAPE = {"nodes": 4, "cpus": 8, "mem_mb": 64_000, "policy": "easy"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wlgen", "wlgen scheduler harness")
    group.addoption("--wlgen-slurm-nodes", type=int, default=4,
                    help="slurm_cluster: compute nodes (default 4).")
    group.addoption("--wlgen-slurm-cpus", type=int, default=4,
                    help="slurm_cluster: CPUs per node (default 4).")
    group.addoption("--wlgen-slurm-suite", default="bookworm",
                    help="slurm_cluster: Debian suite of the Slurm image (default bookworm).")


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        f"{CLUSTER_MARKER}(nodes=4, cpus=8, mem_mb=64000, policy='easy'): shape of the "
        "sim_cluster fixture",
        "requires_root: skip unless running as root",
        "requires_podman: skip unless podman or Docker is installed",
        "requires_slurm: skip unless a Slurm controller answers and wlgen has a Slurm backend",
    ):
        config.addinivalue_line("markers", line)


def pytest_runtest_setup(item: pytest.Item) -> None:
    from workload.testing.require import REQUIREMENTS

    for name, probe in REQUIREMENTS.items():
        if item.get_closest_marker(name) is not None:
            reason = probe()
            if reason:
                pytest.skip(reason)


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
    from workload.testing.require import missing_cluster_capability

    reason = missing_cluster_capability()
    if reason:
        pytest.skip(f"slurm_cluster: {reason}")
    yield from _bring_up(request.config)


def _bring_up(config: pytest.Config):
    """The seam for the containerised cluster: up, hand out, tear down what we started."""
    from workload.cluster import ClusterSpec, down, up
    from workload.testing.observe import ClusterUnderTest

    spec = ClusterSpec(nodes=config.getoption("--wlgen-slurm-nodes"),
                       cpus=config.getoption("--wlgen-slurm-cpus"),
                       suite=config.getoption("--wlgen-slurm-suite"))
    cluster = up(spec)
    try:
        yield ClusterUnderTest(cluster.describe(), policy="easy", backend="slurm",
                               options={"cluster": cluster})
    finally:
        down(spec.name)
