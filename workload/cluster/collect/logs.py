"""The daemon logs layer: slurmctld, slurmd (every node) and slurmdbd lines to the log
receiver as JSON events (``type: slurm-log``; see slurmlog.py), at least once.

Where lines come from: each daemon's container log file on the host (the engine's
``k8s-file`` or ``json-file``; its path asked once with ``inspect``), read from a saved
byte offset, so nothing runs in the containers and no engine process is started per
interval. Only whole records are taken (a line still being written, or a ``P`` piece
whose end has not arrived, waits for the next read).

How they reach the receiver: the delivery contract of workload/sinks/delivery.py, with
its disk :class:`~workload.sinks.spool.Spool` and :class:`StreamTransport` (a batch
counts as sent once the receiver read it all). Each step appends the new lines' events
to the spool, flushes it, and only then saves the new offsets (``slurm-logs.json``); it
then sends from the spool oldest first, forgetting a batch once confirmed. So a
collector stopped at any point (or a receiver away) loses nothing: on restart it
resumes from the saved offsets and replays the spool first. A line is sent twice only
when the collector dies between a send and its confirmation (at least once); each event
carries ``source`` (``<container>:<byte offset>``) for a receiver to drop such repeats.
A container recreated (a new file, or one shorter than the offset) is read from 0.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from workload.cluster.cluster import Cluster
from workload.cluster.collect.slurmlog import EngineLine, document, parse_engine_line
from workload.errors import ClusterError
from workload.sinks.logstash import parse_endpoint
from workload.sinks.spool import Spool
from workload.sinks.transports import StreamTransport

OFFSETS = "slurm-logs.json"
SPOOL = "slurm-logs.spool"
LOCK = "slurm-logs.lock"    # one shipper a cluster: two would send every line twice
READ_MAX = 4 << 20          # bytes read from one file per step: a backlog goes in pieces
BATCH_MAX = 2000            # events per send
_encode = json.JSONEncoder(ensure_ascii=False).encode   # built once, as sinks/logstash.py
_PATH_FORMAT = {"podman": "{{.Name}} {{.HostConfig.LogConfig.Path}}",
                "docker": "{{.Name}} {{.LogPath}}"}


class ShippedElsewhere(ClusterError):
    """Another collector of the cluster (the background one) already ships its logs."""


@dataclass(frozen=True, slots=True)
class Source:
    """One daemon's log: its container, the node it speaks for, the daemon, the file."""

    container: str
    node: str          # ctld, db, n1 ...
    daemon: str        # the daemon a line without Slurm's prefix belongs to
    path: Path


def daemon_hosts(nodes: Sequence[str]) -> dict[str, str]:
    """host -> its daemon: slurmctld in ctld, slurmdbd in db, slurmd in every node."""
    return {"ctld": "slurmctld", "db": "slurmdbd", **{n: "slurmd" for n in nodes}}


def parse_log_paths(text: str) -> dict[str, Path]:
    """``inspect --format '<name> <log path>'`` -> container -> path (none: left out)."""
    out: dict[str, Path] = {}
    for line in text.splitlines():
        name, _, path = line.strip().partition(" ")
        if path.strip() and path.strip() != "<no value>":
            out[name.lstrip("/")] = Path(path.strip())
    return out


def locate(engine: str, containers: dict[str, str], run: Callable[[list[str]], str]
           ) -> list[Source]:
    """``containers``: host -> container name. One inspect for all of them."""
    if engine not in _PATH_FORMAT:
        raise ClusterError(f"daemon logs: no log file path from engine {engine}")
    paths = parse_log_paths(run([engine, "inspect", "--format", _PATH_FORMAT[engine],
                                 *containers.values()]))
    daemons = daemon_hosts([h for h in containers if h not in ("ctld", "db")])
    return [Source(c, host, daemons[host], paths[c]) for host, c in containers.items()
            if c in paths]


def whole_records(chunk: bytes) -> tuple[list[tuple[int, EngineLine]], int]:
    """The complete lines of ``chunk`` (pieces joined) with their start offsets in it,
    and how many bytes they took (the rest waits for more)."""
    out: list[tuple[int, EngineLine]] = []
    used = pos = 0
    piece: tuple[int, EngineLine] | None = None
    last = 0.0
    while (end := chunk.find(b"\n", pos)) >= 0:
        raw = chunk[pos:end].decode(errors="replace")
        try:
            record = parse_engine_line(raw)
        except (ValueError, KeyError):   # not the engine's format: kept whole, not dropped
            record = EngineLine(last, raw)
        last = record.time
        if piece is not None:
            record = EngineLine(piece[1].time, piece[1].text + record.text, record.partial)
        start = piece[0] if piece is not None else pos
        pos = end + 1
        if record.partial:
            piece = (start, record)
            continue
        out.append((start, record))
        piece, used = None, pos
    return out, used


class LogFollower:
    """New whole lines of every source since the offsets saved in ``state``."""

    def __init__(self, sources: Sequence[Source], state: Path) -> None:
        self.sources, self.state = list(sources), state
        self.missing: list[Source] = []   # files gone at the last read
        try:
            self.offsets: dict[str, dict[str, int]] = json.loads(state.read_text())
        except FileNotFoundError:
            self.offsets = {}

    def read(self) -> tuple[list[tuple[Source, int, EngineLine]], dict[str, dict[str, int]]]:
        """The new lines (source, file offset, line) and the offsets after them (saved
        only by :meth:`commit`, once the lines are safe)."""
        lines: list[tuple[Source, int, EngineLine]] = []
        after = dict(self.offsets)
        self.missing = []
        for source in self.sources:
            try:
                with source.path.open("rb") as file:
                    stat = os.fstat(file.fileno())
                    saved = self.offsets.get(source.container, {})
                    offset = saved.get("offset", 0)
                    if saved.get("inode") != stat.st_ino or stat.st_size < offset:
                        offset = 0   # a new container or a truncated file: from its start
                    file.seek(offset)
                    data = file.read(READ_MAX)
                    records, used = whole_records(data)
                    if not records and len(data) == READ_MAX:   # one line over 4 MB: cut,
                        records, used = [(0, EngineLine(time.time(),   # never stuck on it
                                                        data.decode(errors="replace")))], \
                            len(data)
            except FileNotFoundError:   # the container is gone (being recreated)
                self.missing.append(source)
                continue
            lines.extend((source, offset + at, line) for at, line in records)
            after[source.container] = {"inode": stat.st_ino, "offset": offset + used}
        return lines, after

    def commit(self, offsets: dict[str, dict[str, int]]) -> None:
        tmp = self.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(offsets, sort_keys=True) + "\n")
        os.replace(tmp, self.state)
        self.offsets = offsets


class LogShipper:
    """One step an interval: read new lines, park them in the spool, send what waits."""

    def __init__(self, cluster: str, sources: Sequence[Source], receiver: str,
                 state_dir: Path, timeout_s: float = 10.0,
                 relocate: Callable[[], list[Source]] | None = None,
                 expected: int = 0) -> None:
        scheme, host, port = parse_endpoint(receiver)
        if scheme != "tcp":   # UDP confirms nothing: it cannot carry at-least-once
            raise ValueError(f"daemon logs need a tcp:// receiver, not {receiver}")
        state_dir.mkdir(parents=True, exist_ok=True)
        self._lock = (state_dir / LOCK).open("a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ShippedElsewhere(f"another collector ships {cluster}'s daemon logs "
                                   f"(it holds {state_dir / LOCK})") from None
        self.cluster = cluster
        self.follower = LogFollower(sources, state_dir / OFFSETS)
        # A line cut mid-write in the spool was written before its offset was saved:
        # it is read again from the log, not lost.
        self.spool = Spool(state_dir / SPOOL, reread=True)
        self.transport = StreamTransport(host, port, timeout=timeout_s)
        # Finds the files again when a container was recreated, or was not there yet.
        self.relocate, self.expected = relocate, expected
        self.read_total = self.sent_total = 0

    def step(self) -> None:
        """OSError when the receiver is away (the lines wait in the spool)."""
        if self.relocate is not None and (self.follower.missing or
                                          len(self.follower.sources) < self.expected):
            self.follower.sources = self.relocate()
        lines, offsets = self.follower.read()
        self.spool.extend([self.encode(s, at, line) for s, at, line in lines])
        if offsets != self.follower.offsets:
            self.spool.peek(1)             # flushes the spool's writer: the lines are on disk
            self.follower.commit(offsets)  # ... so the offsets may move past them
        self.read_total += len(lines)
        while self.spool:
            batch = self.spool.peek(BATCH_MAX)
            sent = self.transport.send(batch)
            self.spool.consume(batch[:sent])
            self.sent_total += sent

    def encode(self, source: Source, at: int, line: EngineLine) -> bytes:
        return _encode(document(self.cluster, source.node, source.daemon, line,
                                f"{source.container}:{at}")).encode()

    @property
    def waiting(self) -> int:
        return len(self.spool)

    def close(self) -> None:
        self.spool.close()
        self._lock.close()   # releases the lock


def for_cluster(cluster: Cluster, receiver: str) -> LogShipper:
    """The shipper of ``cluster``'s daemons (ctld, db, every node) to ``receiver``; its
    offsets and spool live in the cluster's monitoring state dir."""
    from workload.cluster import monitoring, proc
    # Each container once (c1..cM with several slurmd a container: their lines share its
    # log file, and name their node themselves, `slurmd-n3: ...`).
    containers = {h: cluster.container(h) for h in ("ctld", "db", *cluster.spec.node_hosts)}

    def inspect(argv: list[str]) -> str:
        # check=False: a stopped-and-removed container fails the inspect of the others;
        # they still print, and the missing one is looked for again on the next step.
        done = proc.run(cluster.engine, argv, check=False, timeout=30)
        return done.stdout.decode(errors="replace")

    def find() -> list[Source]:
        return locate(cluster.engine.name, containers, inspect)
    return LogShipper(cluster.name, find(), receiver, monitoring.output_dir(cluster.dir),
                      relocate=find, expected=len(containers))


class ShipperThread:
    """Runs a shipper's step every ``interval_s`` beside the collector's samples, so a
    slow receiver never delays a sample; its state is read by :meth:`metrics`."""

    def __init__(self, shipper: LogShipper, interval_s: float) -> None:
        self.shipper, self.interval_s = shipper, interval_s
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wlgen-slurm-logs",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while True:
            self.step()
            if self._stop.wait(self.interval_s):
                return

    def step(self) -> None:
        try:
            self.shipper.step()
            self.error = None
        except (OSError, ValueError, ClusterError) as err:   # receiver away, engine down
            self.error = f"{err} ({self.shipper.waiting} lines waiting)"

    def stop(self, deadline_s: float = 10.0) -> None:
        """One last step (what the daemons logged until now), then the spool closes."""
        self._stop.set()
        self._thread.join(deadline_s)
        if not self._thread.is_alive():
            self.step()
            self.shipper.close()

    def metrics(self) -> dict[str, float]:
        return {"logs.lines_read": float(self.shipper.read_total),
                "logs.lines_sent": float(self.shipper.sent_total),
                "logs.waiting": float(self.shipper.waiting)}
