"""The files a cluster's containers mount: rendered configs and fresh keys."""

from __future__ import annotations

from pathlib import Path

from workload.cluster import secrets
from workload.cluster.config import ClusterSpec, render_slurm_conf, render_slurmdbd_conf


def write_files(spec: ClusterSpec, root: Path) -> None:
    """root/etc/{slurm,slurmdbd}.conf (-> /run/wlgen/etc) and root/secrets/ with new
    keys, 0600 in a 0700 dir (-> /run/wlgen/secrets). Refuses to overwrite keys."""
    etc = root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "slurm.conf").write_text(render_slurm_conf(spec))
    (etc / "slurmdbd.conf").write_text(render_slurmdbd_conf(spec))
    secrets.create_keys(root / "secrets")
