"""QOS on a container cluster (sacctmgr): a site's, for replays of its accounting, and a
scenario's (``qos:`` with its limits, an account's ``qos:`` as its jobs' default)."""

from __future__ import annotations

import math
import shlex
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from workload.cluster.wait import wait_for
from workload.errors import ClusterError
from workload.slurmconf import QosConf
from workload.slurmconf.render import qos_words

if TYPE_CHECKING:
    from workload.cluster.cluster import Cluster

_EXISTS = ("already exists", "Already existing", "Nothing new added",
           "Request didn't affect anything", "Nothing modified")


def qos_settings(priority: int, max_wall_s: float | None) -> list[str]:
    """sacctmgr's ``set`` words for a QOS of a priority and a MaxWall (seconds)."""
    return qos_words(QosConf("", priority, max_wall_s or math.inf))


def add_qos(cluster: Cluster, wanted: Iterable[tuple[str, int, float | None]]) -> None:
    """Each (name, priority, max wall seconds): created, or set when it exists."""
    apply_qos(cluster, [QosConf(name, priority, wall or math.inf)
                        for name, priority, wall in wanted])


def apply_qos(cluster: Cluster, confs: Iterable[QosConf]) -> None:
    """Each QOS with all its settings and limits (qos_words): created, or set when it
    exists (a reused cluster's QOS takes the scenario's values)."""
    for conf in confs:
        words = qos_words(conf)
        _sacctmgr(cluster, ["add", "qos", conf.name, *words])
        _sacctmgr(cluster, ["modify", "qos", "where", f"name={conf.name}", "set", *words])


def default_qos(cluster: Cluster, account: str, users: Sequence[str], qos: str) -> None:
    """Jobs of ``account`` run under ``qos`` unless they name one: the account's and its
    users' associations may use it (and normal) and default to it. Returns once
    slurmctld gives it to a job of each user: a job submitted before would run under
    normal, free of the QOS's limits."""
    words = [f"QOS={','.join(sorted({qos, 'normal'}))}", f"DefaultQOS={qos}"]
    _sacctmgr(cluster, ["modify", "account", "where", f"name={account}", "set", *words])
    for user in users:
        _sacctmgr(cluster, ["modify", "user", "where", f"name={user}", f"account={account}",
                            "set", *words])
        _wait_for_qos(cluster, user, account, qos)


def _wait_for_qos(cluster: Cluster, user: str, account: str, qos: str) -> None:
    wait_for(lambda: probe_qos(cluster, user, account) == qos, 60,
             f"slurmctld to give {user}'s jobs in account {account} QOS {qos}", interval=1.0)


def probe_qos(cluster: Cluster, user: str, account: str) -> str:
    """The QOS slurmctld gives a job of ``user`` in ``account`` now, read from a held job
    submitted and cancelled at once (Slurm 22.05's ``scontrol show assoc_mgr`` does not
    show an association's QOS, and sacctmgr shows slurmdbd's, which slurmctld learns
    later)."""
    # Names reach a shell here: quoted, whatever checked them before.
    script = (f"id=$(runuser -u {shlex.quote(user)} -- sbatch --parsable -H "
              f"-A {shlex.quote(account)} -J "
              "wlgen-qos-probe -n1 -t1 -o /dev/null --wrap true) || exit 1; "
              "squeue -h -j $id -o %q; scancel $id")
    done = cluster.exec("ctld", ["sh", "-c", script], timeout=60)
    if done.returncode != 0:
        raise ClusterError(f"could not probe the QOS of {user} in {account}: "
                           f"{done.stderr.decode(errors='replace').strip()[-200:]}")
    return done.stdout.decode(errors="replace").strip()


def grant_qos(cluster: Cluster, user: str, account: str, names: Iterable[str]) -> None:
    """The QOS ``user`` may use in ``account`` (normal stays among them): a replay's
    ``--qos``/``--accounts`` dumps (cli/accounting.py)."""
    allowed = sorted(set(names) | {"normal"})
    _sacctmgr(cluster, ["modify", "user", "where", f"name={user}", f"account={account}",
                        "set", f"QOS={','.join(allowed)}"])


def _sacctmgr(cluster: Cluster, argv: list[str]) -> None:
    done = cluster.exec("ctld", ["sacctmgr", "-i", *argv])
    out = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode != 0 and not any(h in out for h in _EXISTS):
        raise ClusterError(f"sacctmgr {' '.join(argv[:3])} failed: "
                           f"{out.strip().splitlines()[-1:]}")
