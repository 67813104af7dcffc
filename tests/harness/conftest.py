"""Harness tests use wlgen's own pytest plugin (loaded by its pytest11 entry point)."""

from __future__ import annotations

import pytest

from tests.clusters import per_run_name
from workload.testing.plugin import SLURM_NAME


def pytest_configure(config: pytest.Config) -> None:
    # The plugin's slurm_cluster has one fixed default name, so users can keep it up and
    # have it reused; this project's own runs must not share (and remove) each other's,
    # so unless a name was given they get one of their own.
    if config.pluginmanager.has_plugin("wlgen") and \
            config.getoption("--wlgen-slurm-name") == SLURM_NAME:
        config.option.wlgen_slurm_name = per_run_name(SLURM_NAME)


@pytest.fixture(autouse=True)
def _plugin_is_loaded(request: pytest.FixtureRequest) -> None:
    # Without the entry point (package not reinstalled) the fixtures below would be
    # missing anyway; say why instead of "fixture not found".
    if not request.config.pluginmanager.has_plugin("wlgen"):
        pytest.fail("the wlgen pytest plugin is not registered: pip install -e . again")
