"""A TCP stream between two nodes, for rate measurements (bench and tests).

The receiver and the sender are small Python programs run with the node image's own
python3 (``python3 -c``), so nothing is installed in the containers. The receiver reports
what arrived and over how long (first to last byte), so connection set-up and the
sender's start-up do not count.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from workload.cluster import Cluster
from workload.errors import ClusterError

# TCP payload per full frame as htb and the counters see it: 1500 MTU - 20 IP - 32 TCP
# (with timestamps) of a 1514-byte frame (14 Ethernet header bytes; no FCS on a veth).
PAYLOAD_PER_FRAME = 1448 / 1514

_RECEIVER = """
import json, socket, sys, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", int(sys.argv[1]))); srv.listen(1); srv.settimeout(float(sys.argv[2]))
print("listening", flush=True)
conn, _ = srv.accept(); conn.settimeout(float(sys.argv[2]))
buf = bytearray(1 << 18); total = 0; first = last = None
while True:
    n = conn.recv_into(buf)
    if not n:
        break
    last = time.monotonic(); first = first or last; total += n
print(json.dumps({"bytes": total, "seconds": (last - first) if first else 0.0}))
"""

_SENDER = """
import socket, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        sock = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10); break
    except OSError:
        if time.monotonic() > deadline: raise
        time.sleep(0.05)
chunk = b"x" * (1 << 16); end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    sock.sendall(chunk)
sock.close()
"""


@dataclass(frozen=True, slots=True)
class StreamResult:
    bytes: int
    seconds: float

    @property
    def goodput_bps(self) -> float:
        return 8 * self.bytes / self.seconds if self.seconds > 0 else 0.0

    @property
    def wire_bps(self) -> float:
        """The rate htb shapes: goodput with the headers of full-size frames added."""
        return self.goodput_bps / PAYLOAD_PER_FRAME


class Stream:
    """``src`` sends to ``dst`` for ``seconds``; start several, then :meth:`result` each."""

    def __init__(self, cluster: Cluster, src: str, dst: str, seconds: float,
                 port: int = 5201) -> None:
        self.seconds = seconds
        address = cluster.spec.hosts()[dst]
        env = cluster.exec_env()
        timeout = str(seconds + 30)
        self._rx = subprocess.Popen(
            cluster.exec_argv(dst, ["python3", "-c", _RECEIVER, str(port), timeout]),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = self._rx.stdout.readline() if self._rx.stdout else ""
        if ready.strip() != "listening":
            self._rx.kill()
            raise ClusterError(f"stream receiver on {dst} did not start: "
                               f"{self._rx.stderr.read() if self._rx.stderr else ''}")
        self._tx = subprocess.Popen(
            cluster.exec_argv(src, ["python3", "-c", _SENDER, address, str(port),
                                    str(seconds)]),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def result(self) -> StreamResult:
        limit = self.seconds + 60
        try:
            _, err = self._tx.communicate(timeout=limit)
            out, rx_err = self._rx.communicate(timeout=limit)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise ClusterError(f"TCP stream did not end within {limit:g} s") from exc
        if self._tx.returncode or self._rx.returncode:
            raise ClusterError(f"TCP stream failed: {(err or rx_err).strip()[-300:]}")
        data = json.loads(out.strip().splitlines()[-1])
        return StreamResult(data["bytes"], data["seconds"])

    def kill(self) -> None:
        for child in (self._tx, self._rx):
            if child.poll() is None:
                child.kill()
                child.wait()


def measure(cluster: Cluster, src: str, dst: str, seconds: float = 3.0) -> StreamResult:
    """One stream from ``src`` to ``dst``, run to its end."""
    return Stream(cluster, src, dst, seconds).result()
