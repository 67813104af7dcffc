"""The files a cluster's containers mount: rendered configs and fresh keys."""

from __future__ import annotations

from pathlib import Path

from workload.cluster import secrets
from workload.cluster.config import (ClusterSpec, render_gres_conf, render_slurm_conf,
                                     render_slurmdbd_conf)


def write_files(spec: ClusterSpec, root: Path) -> None:
    """root/etc/{slurm,slurmdbd}.conf (-> /run/wlgen/etc), root/etc/job_submit.lua when
    the spec has one (-> the controller's /etc/slurm), and root/secrets/ with new keys,
    0600 in a 0700 dir (-> /run/wlgen/secrets). Refuses to overwrite keys."""
    etc = root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "slurm.conf").write_text(render_slurm_conf(spec))
    (etc / "slurmdbd.conf").write_text(render_slurmdbd_conf(spec))
    if spec.gpus:   # the entrypoint makes etc/gpus' count of /dev/nvidiaN on each node
        (etc / "gres.conf").write_text(render_gres_conf(spec))
        (etc / "gpus").write_text(f"{spec.gpus}\n")
    if spec.job_submit_lua:
        # Read by slurmctld after it drops to SlurmUser: world-readable.
        job_submit_path(root).write_bytes(spec.job_submit_lua.encode())
        job_submit_path(root).chmod(0o644)
    secrets.create_keys(root / "secrets")


def job_submit_path(root: Path) -> Path:
    """The job_submit.lua in a cluster's state dir (mounted as config.JOB_SUBMIT_LUA)."""
    return root / "etc" / "job_submit.lua"
