"""Fixtures: private carbon-cache, graphite-web and rsyslog instances, one set per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .receivers import GRAPHITE_WEB, SYSTEM_PYTHON, Carbon, GraphiteWeb, Rsyslog, missing


def require_graphite() -> None:
    gone = missing("carbon-cache", SYSTEM_PYTHON, str(GRAPHITE_WEB))
    if gone:
        pytest.skip(f"graphite receivers not installed ({', '.join(gone)}): "
                    "run .ci/setup.d/40-monitoring.sh")


def require_rsyslog() -> None:
    if missing("rsyslogd"):
        pytest.skip("rsyslogd not installed: run .ci/setup.d/40-monitoring.sh")


@pytest.fixture
def carbon(tmp_path: Path) -> Iterator[Carbon]:
    require_graphite()
    with Carbon(tmp_path / "carbon") as service:
        yield service


@pytest.fixture
def graphite_web(tmp_path: Path, carbon: Carbon) -> Iterator[GraphiteWeb]:
    with GraphiteWeb(tmp_path / "graphite-web", carbon) as service:
        yield service


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    require_rsyslog()
    with Rsyslog(tmp_path / "rsyslog") as service:
        yield service
