"""Which process owns a cluster, so the clusters of dead test sessions can be reaped.

A session that makes a cluster (workload.cluster.session) writes ``owner.json`` in the
cluster's state dir before starting it: the owning process's pid, its start time (pid
reuse) and its pid namespace and boot (two CI containers can share a pid). A test run
killed with SIGKILL never reaches its ``down``; ``stale()`` finds such clusters: the
owner is gone from this very pid namespace and boot. A cluster whose owner this host
cannot judge (another pid namespace or boot, no owner file: `wlgen cluster up` by hand)
is never called stale.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from workload.cluster import state

OWNER_FILE = "owner.json"


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def _pid_namespace() -> int:
    return os.stat("/proc/self/ns/pid").st_ino


def me() -> dict[str, object]:
    """This process as an owner."""
    pid = os.getpid()
    return {"pid": pid, "start": _start_ticks(pid), "pidns": _pid_namespace(),
            "boot": _boot_id()}


def claim(name: str) -> None:
    """Record this process as the owner of cluster ``name`` (made by it)."""
    path = state.cluster_dir(name) / OWNER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(me()) + "\n")


def release(name: str) -> None:
    """Cluster ``name`` is kept on purpose: nobody's leftover any more."""
    (state.cluster_dir(name) / OWNER_FILE).unlink(missing_ok=True)


def owner_of(name: str) -> dict | None:
    try:
        return json.loads((state.cluster_dir(name) / OWNER_FILE).read_text())
    except (OSError, ValueError):
        return None


def gone(owner: dict) -> bool:
    """True only when ``owner`` is certainly not running: same pid namespace and boot as
    this process, and its pid is free or belongs to a process started at another time."""
    if owner.get("pidns") != _pid_namespace() or owner.get("boot") != _boot_id():
        return False
    return _start_ticks(int(owner["pid"])) != owner.get("start")


def stale() -> list[str]:
    """Names of the clusters whose owning process is gone."""
    root = state.state_root()
    if not root.is_dir():
        return []
    return sorted(entry.name for entry in root.iterdir()
                  if (entry / OWNER_FILE).is_file()
                  and (owner := owner_of(entry.name)) is not None and gone(owner))
