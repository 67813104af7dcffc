"""A site's QOS on a container cluster (sacctmgr), for replays of its accounting."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from workload.errors import ClusterError

if TYPE_CHECKING:
    from workload.cluster.cluster import Cluster

_EXISTS = ("already exists", "Already existing", "Nothing new added",
           "Request didn't affect anything", "Nothing modified")


def qos_settings(priority: int, max_wall_s: float | None) -> list[str]:
    """sacctmgr's ``set`` words for one QOS."""
    out = [f"Priority={int(priority)}"]
    if max_wall_s:
        out.append(f"MaxWall={int(max_wall_s // 60)}")    # minutes
    return out


def add_qos(cluster: Cluster, wanted: Iterable[tuple[str, int, float | None]]) -> None:
    """Each (name, priority, max wall seconds): created, or set when it exists."""
    for name, priority, wall in wanted:
        settings = qos_settings(priority, wall)
        _sacctmgr(cluster, ["add", "qos", name, *settings])
        _sacctmgr(cluster, ["modify", "qos", "where", f"name={name}", "set", *settings])


def grant_qos(cluster: Cluster, user: str, account: str, names: Iterable[str]) -> None:
    """The QOS ``user`` may use in ``account`` (normal stays among them)."""
    allowed = sorted(set(names) | {"normal"})
    _sacctmgr(cluster, ["modify", "user", "where", f"name={user}", f"account={account}",
                        "set", f"QOS={','.join(allowed)}"])


def _sacctmgr(cluster: Cluster, argv: list[str]) -> None:
    done = cluster.exec("ctld", ["sacctmgr", "-i", *argv])
    out = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode != 0 and not any(h in out for h in _EXISTS):
        raise ClusterError(f"sacctmgr {' '.join(argv[:3])} failed: "
                           f"{out.strip().splitlines()[-1:]}")
