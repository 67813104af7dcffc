"""Harness tests use wlgen's own pytest plugin (loaded by its pytest11 entry point)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _plugin_is_loaded(request: pytest.FixtureRequest) -> None:
    # Without the entry point (package not reinstalled) the fixtures below would be
    # missing anyway; say why instead of "fixture not found".
    if not request.config.pluginmanager.has_plugin("wlgen"):
        pytest.fail("the wlgen pytest plugin is not registered: pip install -e . again")
