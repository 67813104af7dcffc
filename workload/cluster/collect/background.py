"""The collector in the background: started by `cluster up --monitoring`, stopped by
`down`.

It is `wlgen cluster monitor --name NAME` as a process of its own (its own session, so
a Ctrl-C of the `up` that started it does not stop it), logging to
``<state dir>/monitoring/collector.log``. ``collector.json`` in the state dir records
its pid and start time: `down` stops that process only (a pid reused by another process
has another start time), and the collector stops by itself when the state dir is gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from workload.cluster import monitoring
from workload.cluster.owner import _start_ticks
from workload.cluster.wait import wait_for
from workload.errors import ClusterError

PID_FILE = "collector.json"
LOG_FILE = "collector.log"


def _alive(pid: int, start: int | None) -> bool:
    """``pid`` runs and is the process started at ``start`` (a zombie has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and _start_ticks(pid) == start


def running(cluster_dir: Path) -> int | None:
    """The pid of the cluster's background collector while it runs."""
    try:
        saved = json.loads((cluster_dir / PID_FILE).read_text())
    except (OSError, ValueError):
        return None
    return saved["pid"] if _alive(saved["pid"], saved.get("start")) else None


def start(name: str, cluster_dir: Path, interval_s: float = 5.0) -> int:
    """Start the collector of cluster ``name`` unless it runs; returns its pid."""
    pid = running(cluster_dir)
    if pid is not None:
        return pid
    log_dir = monitoring.output_dir(cluster_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "workload.cli.main", "cluster", "monitor", "--name", name,
            "--interval", f"{interval_s:g}"]
    with (log_dir / LOG_FILE).open("ab") as log:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    (cluster_dir / PID_FILE).write_text(json.dumps(
        {"pid": child.pid, "start": _start_ticks(child.pid)}) + "\n")
    return child.pid


def stop(cluster_dir: Path, grace_s: float = 10.0) -> bool:
    """Stop the cluster's background collector (SIGTERM, then SIGKILL); False when none
    ran."""
    pid = running(cluster_dir)
    (cluster_dir / PID_FILE).unlink(missing_ok=True)
    if pid is None:
        return False
    start_ticks = _start_ticks(pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        try:
            wait_for(lambda: not _alive(pid, start_ticks), grace_s,
                     f"collector {pid} to stop", interval=0.1)
            return True
        except ClusterError:
            continue
    raise ClusterError(f"collector {pid} did not stop, even after SIGKILL")
