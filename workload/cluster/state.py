"""Where a cluster's state lives on the host: spec, rendered configs and keys.

Root:      /var/lib/wlgen/clusters/NAME/
Otherwise: $XDG_STATE_HOME/wlgen/clusters/NAME/ (default ~/.local/state/...)
WLGEN_STATE_DIR overrides the parent of the per-cluster dirs.

    NAME/cluster.json    the ClusterSpec (+ facts found at up, e.g. slurm_version)
    NAME/etc/            slurm.conf, slurmdbd.conf -> /run/wlgen/etc (read-only)
    NAME/secrets/        munge.key, jwt_hs256.key (0600, dir 0700) -> /run/wlgen/secrets
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from workload.errors import ClusterError


def state_root() -> Path:
    """The directory holding every cluster's state dir (and podman's containers.conf)."""
    if os.environ.get("WLGEN_STATE_DIR"):
        return Path(os.environ["WLGEN_STATE_DIR"])
    if os.geteuid() == 0:
        return Path("/var/lib/wlgen/clusters")
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "wlgen" / "clusters"


def cluster_dir(name: str) -> Path:
    return state_root() / name


def save(name: str, data: dict) -> None:
    path = cluster_dir(name) / "cluster.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def load(name: str) -> dict | None:
    """The saved cluster.json of ``name``, or None when there is no such cluster."""
    path = cluster_dir(name) / "cluster.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise ClusterError(f"cannot read {path}: {err}") from err


def remove(name: str) -> None:
    shutil.rmtree(cluster_dir(name), ignore_errors=True)
