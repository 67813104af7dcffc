"""Fixtures: private carbon-cache, graphite-web and rsyslog instances, one set per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workload.testing.require import require

from .receivers import Carbon, GraphiteWeb, Rsyslog


@pytest.fixture
def carbon(tmp_path: Path) -> Iterator[Carbon]:
    require("graphite")
    with Carbon(tmp_path / "carbon") as service:
        yield service


@pytest.fixture
def graphite_web(tmp_path: Path, carbon: Carbon) -> Iterator[GraphiteWeb]:
    with GraphiteWeb(tmp_path / "graphite-web", carbon) as service:
        yield service


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    require("rsyslog")
    with Rsyslog(tmp_path / "rsyslog") as service:
        yield service
