"""This host as a login node of a container cluster: its own Slurm clients, a private munged.

`wlgen cluster login` is how a user tries wlgen's login-node path (the CLI backend with
this host's sbatch/squeue/sacct and SLURM_CONF, as on a real cluster) against a cluster
that runs in containers. It writes a client-side slurm.conf (the cluster's own, with
addresses instead of the container host names this host cannot resolve, and the path of
a private munge socket) and starts a munged on that socket with the cluster's key, which
never leaves the cluster's 0700 state dir. `down` stops that munged.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from workload.cluster import secrets
from workload.cluster.cluster import Cluster
from workload.cluster.config import JOBS_PATH, render_slurm_conf
from workload.cluster.lifecycle import JOB_ENV
from workload.cluster.wait import wait_for
from workload.errors import ClusterError

LOGIN_DIR = "login"
SOCKET = "munge.socket"
PID_FILE = "munged.pid"
_CLIENT_ONLY = ("AuthAltTypes=", "AuthAltParameters=")   # keys only daemons read
HOST_TOOLS = ("sbatch", "munged")


def render_login_conf(cluster: Cluster, socket: Path) -> str:
    """The cluster's slurm.conf as this host's clients need it (pure)."""
    hosts = cluster.spec.hosts()
    lines = []
    for line in render_slurm_conf(cluster.spec).splitlines():
        if line.startswith(_CLIENT_ONLY):
            continue   # the JWT key exists only inside the containers
        if line.startswith("AccountingStorageHost="):
            line = f"AccountingStorageHost={hosts['db']}"   # sacct talks to slurmdbd itself
        lines.append(line)
    # The munge socket twice: AuthInfo for slurmctld, AccountingStoragePass for the
    # connection sacct opens to slurmdbd (it does not read AuthInfo).
    lines += [f"AuthInfo=socket={socket}", f"AccountingStoragePass={socket}"]
    return "\n".join(lines) + "\n"


def login_env(cluster: Cluster) -> dict[str, str]:
    """What a shell on this host needs to be the cluster's login node: SLURM_CONF, and the
    environment its jobs need (sbatch exports the submitter's environment to the job)."""
    path = os.pathsep.join(p for p in (JOBS_PATH, os.environ.get("PYTHONPATH")) if p)
    return {"SLURM_CONF": str(conf_path(cluster)), "PYTHONPATH": path, **JOB_ENV}


def start(cluster: Cluster) -> dict[str, str]:
    """Make this host a login node of ``cluster`` (a no-op when it already is); the env."""
    where = _dir(cluster)
    where.mkdir(mode=0o700, exist_ok=True)
    conf_path(cluster).write_text(render_login_conf(cluster, where / SOCKET))
    require_clients(cluster.slurm_version, conf_path(cluster))
    if munged_pid(cluster) is None:
        _start_munged(cluster, where)
    return login_env(cluster)


def stop(cluster_dir: Path) -> bool:
    """Stop the login munged of the cluster whose state dir is ``cluster_dir`` (its
    socket may be gone already: the pid file is what counts)."""
    pid = _pid_file(cluster_dir / LOGIN_DIR)
    if pid is None or not munged_running(pid):
        return False
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True   # it ended between the check and the signal
        try:
            wait_for(lambda: not munged_running(pid), grace, f"munged {pid} to stop")
            return True
        except ClusterError:
            continue   # a munged still starting up may sit on SIGTERM: kill it
    raise ClusterError(f"munged {pid} did not stop, even after SIGKILL")


def require_clients(cluster_version: str, conf: Path) -> None:
    """This host's Slurm clients and munged, of the cluster's release (Slurm refuses
    clients newer than itself, and clients more than two releases older). Even
    ``--version`` reads a slurm.conf: ``conf``."""
    missing = [tool for tool in HOST_TOOLS if shutil.which(tool) is None]
    if missing:
        raise ClusterError(f"this host has no {' or '.join(missing)}: install Slurm's "
                           "clients and munge (Debian: apt-get install slurm-client munge)")
    done = subprocess.run(["sbatch", "--version"], capture_output=True, text=True,
                          env={**os.environ, "SLURM_CONF": str(conf)}, check=False)
    if not same_release(done.stdout, cluster_version):
        raise ClusterError(f"this host's Slurm clients are {done.stdout.strip() or '?'}, the "
                           f"cluster runs Slurm {cluster_version}: start the cluster with "
                           "the --slurm suite of the same release (bookworm: 22.05, trixie: "
                           "24.11, sid: 26.05) or install clients of its release")


def _start_munged(cluster: Cluster, where: Path) -> None:
    key = cluster.dir / "secrets" / secrets.MUNGE_KEY
    # --force: munged wants a socket every user can reach; this one stays inside the
    # cluster's 0700 state dir on purpose, so only root here can mint its credentials.
    argv = ["munged", "--force", f"--socket={where / SOCKET}", f"--key-file={key}",
            f"--pid-file={where / PID_FILE}", f"--log-file={where / 'munged.log'}",
            f"--seed-file={where / 'munged.seed'}"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ClusterError(f"munged for the login node failed: {done.stderr.strip()[-300:]}")
    wait_for(lambda: munged_pid(cluster), 10, "the login node's munged")


def munged_pid(cluster: Cluster) -> int | None:
    """The pid of ``cluster``'s login munged while it runs."""
    return _pid_in(_dir(cluster))


def conf_path(cluster: Cluster) -> Path:
    """The slurm.conf of this host's clients (SLURM_CONF)."""
    return _dir(cluster) / "slurm.conf"


def _pid_in(where: Path) -> int | None:
    """The munged serving ``where``'s socket, or None."""
    pid = _pid_file(where)
    serving = pid is not None and munged_running(pid) and (where / SOCKET).is_socket()
    return pid if serving else None


def _pid_file(where: Path) -> int | None:
    try:
        return int((where / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def munged_running(pid: int) -> bool:
    """True while ``pid`` is a running munged: a stale pid file may name a reused pid,
    and an exited munged no one has reaped yet is a zombie ("Z" in /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    name, _, rest = stat.partition("(")[2].rpartition(")")
    return name == "munged" and rest.split()[:1] != ["Z"]


def same_release(clients: str, cluster_version: str) -> bool:
    """True when ``sbatch --version`` text ``clients`` is of ``cluster_version``'s release."""
    ours = _release(clients)
    return ours is not None and ours == _release(cluster_version)


def _release(version: str) -> str | None:
    """"slurm 22.05.8" -> "22.05"."""
    found = re.search(r"(\d+)\.(\d+)", version)
    return f"{found.group(1)}.{found.group(2)}" if found else None


def _dir(cluster: Cluster) -> Path:
    return cluster.dir / LOGIN_DIR
