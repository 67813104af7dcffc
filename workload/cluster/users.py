"""Trace users as real users: the same uid on every host, and a Slurm association each.

uids are handed out from FIRST_UID in the order users are first added and remembered in
the cluster's state, so adding more users later never renumbers earlier ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from workload.errors import ClusterError

if TYPE_CHECKING:
    from workload.cluster.cluster import Cluster

FIRST_UID = 20000
ACCOUNT = "wlgen"
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def assign_uids(known: Mapping[str, int], names: Iterable[str]) -> dict[str, int]:
    """uids for ``names``: known ones kept, new ones numbered after the highest known."""
    out = dict(known)
    for name in names:
        if not _USER.match(name):
            raise ClusterError(f"user name {name!r} must match {_USER.pattern}")
        if name not in out:
            out[name] = max(out.values(), default=FIRST_UID - 1) + 1
    return out


def add_users(cluster: Cluster, names: Iterable[str]) -> dict[str, int]:
    """Create ``names`` on every host and under account `wlgen`; returns name -> uid."""
    names = list(dict.fromkeys(names))
    uids = assign_uids(cluster.facts.get("users", {}), names)
    pairs = [f"{n}:{uids[n]}" for n in names]
    argv = ["/usr/local/sbin/wlgen-entrypoint", "add-users", *pairs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda host: cluster.exec(host, argv, check=True), cluster.hosts))
    _sacctmgr_add(cluster, ["account", ACCOUNT, "Description=wlgen", "Organization=wlgen"])
    _sacctmgr_add(cluster, ["user", ",".join(names), f"Account={ACCOUNT}"])
    cluster.facts["users"] = uids
    cluster.save()
    return {n: uids[n] for n in names}


def _sacctmgr_add(cluster: Cluster, what: list[str]) -> None:
    done = cluster.exec("ctld", ["sacctmgr", "-i", "add", *what])
    out = (done.stdout + done.stderr).decode(errors="replace")
    # Adding what already exists is fine: sacctmgr then says so and exits 1.
    if done.returncode != 0 and "Nothing new added" not in out and "already exists" not in out:
        raise ClusterError(f"sacctmgr add {what[0]} failed: {out.strip().splitlines()[-1:]}")
