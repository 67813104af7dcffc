"""Free loopback ports for what a cluster publishes on the host."""

from __future__ import annotations

import socket


def free_port(udp_too: bool = False) -> int:
    """A port free on 127.0.0.1 for TCP (and, with ``udp_too``, for UDP as well, so one
    number serves both, as tcp://HOST:P and udp://HOST:P)."""
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            if not udp_too:
                return port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue  # taken for UDP: try another number
                return port


def answers(port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=timeout).close()
    except OSError:
        return False
    return True
