"""One Slurm backend at the Runner seam (no cluster): built over a scripted runner,
attached, its watcher stopped (the tests poll or feed events themselves), always closed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import simpy

from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.cli import CliClient
from workload.event import Event

from tests.slurm.test_runner_seam import Scripted


@contextmanager
def seam_backend(runner: Scripted, *, emit: Callable[[Event], None] = lambda e: None,
                 epoch: float | None = None, say: Callable[[str], None] = lambda line: None,
                 **options: Any) -> Iterator[SlurmBackend]:
    """A SlurmBackend over ``runner`` (run "t1", cluster "fake"; ``epoch`` defaults to
    now), closed when the block ends however it ends."""
    backend = SlurmBackend(CliClient(runner), cluster_name="fake", say=say, **options)
    backend.attach(simpy.Environment(), emit, time.time() if epoch is None else epoch, "t1")
    try:
        assert backend.watcher is not None
        backend.watcher.stop()
        yield backend
    finally:
        backend.close()
