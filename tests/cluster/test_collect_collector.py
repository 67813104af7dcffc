"""The collector's pieces without a cluster: the metrics of one stored ctld exec, the
slot clock, and the carbon outbox against a real TCP listener."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from workload.cluster import wait_for
from workload.cluster.collect.collector import (
    CarbonOutbox, Sample, _say_errors, prefix, slots, slurm_metrics)

DATA = Path(__file__).parents[1] / "data" / "sdiag"


def test_one_exec_gives_every_slurm_layer_under_its_name():
    m = slurm_metrics((DATA / "collect-24.11-drained.txt").read_text())
    assert m["scheduler.server_threads"] == 1 and m["scheduler.backfill.depth_mean"] == 1
    assert (m["partition.batch.running"], m["partition.batch.cpus_idle"]) == (1, 1)
    assert (m["node.n2.drain"], m["nodes.idle"], m["nodes.mixed"]) == (1, 1, 1)
    assert not any(k.startswith(("server", "jobs_", "main.")) for k in m)


def test_a_cluster_name_is_one_metric_node():
    assert prefix("my.cluster x") == "wlgen.cluster.my_cluster_x."


def test_slots_are_multiples_of_the_interval_and_a_late_sample_skips_one():
    now = [101.3]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))
        now[0] += seconds

    ticks = slots(5, 3, clock=lambda: now[0], sleep=sleep)
    assert next(ticks) == 105 and waits == [3.7]
    now[0] += 7.5                      # the sample took longer than an interval
    assert next(ticks) == 115          # 110 is gone: skipped, not sent late
    assert next(ticks) == 120
    assert list(ticks) == []


class Listener:
    """A real TCP server standing in for carbon: collects what it receives."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port, self.received = self.sock.getsockname()[1], b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while chunk := conn.recv(65536):
                    self.received += chunk

    def close(self) -> None:
        self.sock.close()


def test_outbox_sends_plaintext_lines_with_the_prefix_and_the_slot():
    carbon = Listener()
    try:
        box = CarbonOutbox(f"127.0.0.1:{carbon.port}", "c1")
        box.put(Sample(1000, {"node.n1.state": 2.0, "partition.batch.pending": 3.0}))
        box.flush()
        wait_for(lambda: carbon.received.count(b"\n") == 2, 5, "carbon to read 2 lines")
        assert carbon.received.decode().splitlines() == [
            "wlgen.cluster.c1.node.n1.state 2.0 1000",
            "wlgen.cluster.c1.partition.batch.pending 3.0 1000"]
        assert not box.waiting
    finally:
        carbon.close()


def test_outbox_keeps_what_carbon_refused_and_counts_what_it_had_to_drop():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]   # nobody listens here once closed
    box = CarbonOutbox(f"127.0.0.1:{port}", "c1", timeout_s=1, keep=2)
    for when in (5, 10, 15):
        box.put(Sample(when, {"x": 1.0}))
    with pytest.raises(OSError):
        box.flush()
    assert [m.split()[-1] for m in box.waiting] == [b"10", b"15"] and box.dropped == 1


def test_a_layer_failure_is_said_when_it_starts_and_when_it_ends():
    lines: list[str] = []
    said = _say_errors(Sample(5, errors={"scheduler": "ctld: down"}), {}, lines.append)
    said = _say_errors(Sample(10, errors={"scheduler": "ctld: down"}), said, lines.append)
    _say_errors(Sample(15), said, lines.append)
    assert lines == ["5: scheduler layer left out: ctld: down", "15: scheduler layer back"]
