"""The nodes layer: each node container's CPU, memory and pids, read from the host.

Nothing runs in the node. The engine is asked once for each container's main process
(``inspect``: name and pid); ``/proc/<pid>/cgroup`` names its cgroups, and every interval
reads their files (cgroup v1, what this host has: ``cpuacct.usage``,
``memory.usage_in_bytes`` less ``total_inactive_file`` (the page cache the kernel may
drop: what `podman stats` and `docker stats` also leave out), ``pids.current``). Where
the v1 files are not there (a cgroup v2 host) one ``podman stats --no-stream`` gives the
same three numbers for every node. CPU is a counter (ns); ``cpu_percent`` is its rate
between two samples, 100 = one core busy. The parsers are pure and tested on stored real
files (tests/data/nodes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from workload.errors import ClusterError

CGROUP_ROOT = Path("/sys/fs/cgroup")
INSPECT_FORMAT = "{{.Name}} {{.State.Pid}}"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_NS = {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKMGTP]?i?B)\s*$")
_BYTES = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
          "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}


@dataclass(frozen=True, slots=True)
class Usage:
    """One container at one moment: CPU time so far (ns), memory in use, processes."""

    cpu_ns: float
    mem_bytes: float
    pids: int


# -- pure parsers ----------------------------------------------------------------------
def parse_inspect(text: str) -> dict[str, int]:
    """``<engine> inspect --format INSPECT_FORMAT`` -> container name -> main pid.

    A stopped container has pid 0: left out (it has no cgroup to read)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        if line.strip():
            name, pid = line.split()
            if int(pid) > 0:
                out[name.lstrip("/")] = int(pid)   # docker prints "/name"
    return out


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """``/proc/<pid>/cgroup`` -> controller -> path (v2's unified line as "")."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(","):
                out[controller] = path
    return out


def memory_used_v1(usage_in_bytes: str, memory_stat: str) -> float:
    """memory.usage_in_bytes less the inactive page cache (``total_inactive_file``)."""
    stat = dict(line.split() for line in memory_stat.splitlines() if line.strip())
    return float(int(usage_in_bytes) - int(stat.get("total_inactive_file", 0)))


def go_duration_ns(text: str) -> float:
    """Go's time.Duration text (podman's cpu_time: ``3.248633745s``, ``1m2.5s``) -> ns."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * _NS[u] for n, u in parts)


def size_bytes(text: str) -> float:
    """podman's human sizes (``5.431MB``, decimal units; ``KiB`` binary) -> bytes."""
    found = _SIZE.match(text)
    if not found:
        raise ValueError(f"not a size: {text!r}")
    return float(found.group(1)) * _BYTES[found.group(2)]


def parse_podman_stats(text: str) -> dict[str, Usage]:
    """``podman stats --no-stream --format json`` -> container name -> Usage."""
    out: dict[str, Usage] = {}
    for row in json.loads(text):
        used = row["mem_usage"].split("/")[0]
        out[row["name"]] = Usage(go_duration_ns(row["cpu_time"]), size_bytes(used),
                                 int(row["pids"]))
    return out


def cpu_percent(before: Usage, after: Usage, seconds: float) -> float:
    """CPU use between two samples, 100 = one core busy the whole time."""
    if seconds <= 0:
        raise ValueError("samples must be apart in time")
    return max(0.0, after.cpu_ns - before.cpu_ns) / (seconds * 1e9) * 100


# -- reading the host ------------------------------------------------------------------
def read_v1(paths: Mapping[str, str], root: Path = CGROUP_ROOT) -> Usage:
    """One container's Usage from its cgroup v1 files (OSError when they are gone)."""
    def read(controller: str, name: str) -> str:
        return (root / controller / paths[controller].lstrip("/") / name).read_text()
    return Usage(float(read("cpuacct", "cpuacct.usage")),
                 memory_used_v1(read("memory", "memory.usage_in_bytes"),
                                read("memory", "memory.stat")),
                 int(read("pids", "pids.current")))


def has_v1(paths: Mapping[str, str], root: Path = CGROUP_ROOT) -> bool:
    files = {"cpuacct": "cpuacct.usage", "memory": "memory.stat", "pids": "pids.current"}
    return all(c in paths and (root / c / paths[c].lstrip("/") / f).is_file()
               for c, f in files.items())


class NodeReader:
    """Usage of every node container, by node name (cgroup v1 files, else podman stats).

    ``run`` executes an engine argv and returns its stdout (the collector's seam);
    ``containers`` maps node name -> container name; ``root`` and ``proc`` are where
    the cgroup and proc file systems are (the tests point them at stored real files)."""

    def __init__(self, engine: str, containers: Mapping[str, str],
                 run: Callable[[Sequence[str]], str], root: Path = CGROUP_ROOT,
                 proc: Path = Path("/proc")) -> None:
        self.engine, self.containers, self.run = engine, dict(containers), run
        self.root, self.proc = root, proc
        self.paths: dict[str, dict[str, str]] = {}
        self.locate()
        # Decided once: this host has the v1 files (read them) or not (podman stats).
        self.v1 = any(has_v1(p, root) for p in self.paths.values())

    def locate(self) -> None:
        """Find each node's cgroups (again after a node container restarts)."""
        pids = parse_inspect(self.run([self.engine, "inspect", "--format", INSPECT_FORMAT,
                                       *self.containers.values()]))
        self.paths = {}
        for node, container in self.containers.items():
            if container in pids:
                try:
                    text = (self.proc / str(pids[container]) / "cgroup").read_text()
                except OSError:
                    continue   # exited between inspect and now: no cgroup to read
                self.paths[node] = parse_proc_cgroup(text)

    def read(self) -> dict[str, Usage]:
        """Node -> Usage for the nodes that run now (a stopped node has none)."""
        if not self.v1:
            if self.engine != "podman":
                raise ClusterError("node metrics need cgroup v1 files or podman: "
                                   f"{self.engine} on this host offers neither")
            return self._stats()
        if len(self.paths) < len(self.containers) or \
                not all(has_v1(p, self.root) for p in self.paths.values()):
            # A node stopped or restarted: it has a new cgroup, or none (then this asks
            # the engine every interval until the node is back: one inspect).
            self.locate()
        out: dict[str, Usage] = {}
        for node, paths in self.paths.items():
            try:
                out[node] = read_v1(paths, self.root)
            except OSError:
                continue   # stopped between locate and now: no usage, like a stopped node
        return out

    def _stats(self) -> dict[str, Usage]:
        names = list(self.containers.values())
        stats = parse_podman_stats(self.run([self.engine, "stats", "--no-stream",
                                             "--format", "json", *names]))
        return {node: stats[c] for node, c in self.containers.items() if c in stats}


def node_metrics(before: Mapping[str, Usage], after: Mapping[str, Usage],
                 seconds: float) -> dict[str, float]:
    """``node.<n>.cpu_percent|mem_used_mb|pids``; cpu_percent needs both samples."""
    out: dict[str, float] = {}
    for node, now in sorted(after.items()):
        out[f"node.{node}.mem_used_mb"] = round(now.mem_bytes / 2**20, 3)
        out[f"node.{node}.pids"] = float(now.pids)
        if node in before:
            out[f"node.{node}.cpu_percent"] = round(cpu_percent(before[node], now, seconds), 3)
    return out
