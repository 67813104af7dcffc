"""The CLI tests' shared fixture: ``wlgen(*args)`` runs the command line in-process."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from workload.cli.main import cli


@pytest.fixture
def wlgen():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)
    return invoke
