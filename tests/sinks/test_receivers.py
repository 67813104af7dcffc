"""The receivers' own start-up: bounded by the one polling helper, failures named."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from workload.errors import ClusterError

from .receivers import Service, free_port, port_open, wait_for


class Listener(Service):
    """A real child process (python's http.server) that is ready when its port answers."""

    name = "listener"

    def __init__(self, root: Path, argv: list[str]) -> None:
        super().__init__(root)
        self.port, self.argv = free_port(), argv

    def command(self) -> list[str]:
        return [arg.replace("PORT", str(self.port)) for arg in self.argv]

    def ready(self) -> bool:
        return port_open(self.port)


def test_a_receiver_is_started_and_stopped(tmp_path: Path) -> None:
    with Listener(tmp_path, ["python3", "-m", "http.server", "-b", "127.0.0.1", "PORT"]) as up:
        assert port_open(up.port)
    assert not port_open(up.port)


def test_a_receiver_that_never_answers_is_stopped_and_named(tmp_path: Path) -> None:
    never = Listener(tmp_path, ["sleep", "60"])
    with pytest.raises(RuntimeError, match="listener did not start"):
        never.start(timeout=0.5)
    assert never._proc is None        # stopped, not left behind


def test_a_receiver_that_dies_says_so_at_once(tmp_path: Path) -> None:
    dead = Listener(tmp_path, ["sh", "-c", "echo bad config; exit 3"])
    with pytest.raises(RuntimeError, match=r"(?s)listener exited \(3\).*bad config"):
        dead.start(timeout=30)


def test_a_refused_connection_is_not_up_yet_and_times_out_by_name() -> None:
    port = free_port()

    def connect() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    with pytest.raises(ClusterError, match=f"waiting for port {port}"):
        wait_for(connect, 0.3, f"port {port}")
