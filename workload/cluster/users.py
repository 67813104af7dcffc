"""Trace users as real users: the same uid on every host, and a Slurm association each.

uids are handed out from FIRST_UID in the order users are first added and remembered in
the cluster's state, so adding more users later never renumbers earlier ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from workload.cluster.wait import wait_for
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
    uids = assign_uids({**_saved_users(cluster), **cluster.facts.get("users", {})}, names)
    pairs = [f"{n}:{uids[n]}" for n in names]
    argv = ["/usr/local/sbin/wlgen-entrypoint", "add-users", *pairs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda host: cluster.exec(host, argv, check=True), cluster.hosts))
    _sacctmgr_add(cluster, ["account", ACCOUNT, "Description=wlgen", "Organization=wlgen"])
    _sacctmgr_add(cluster, ["user", ",".join(names), f"Account={ACCOUNT}"])
    cluster.facts["users"] = uids
    cluster.save()
    return {n: uids[n] for n in names}


def _saved_users(cluster: Cluster) -> dict[str, int]:
    """The users in the cluster's saved state: another handle on the same cluster (a
    backend's, another process's) may have added some since this one was loaded."""
    from workload.cluster.cluster import Cluster   # noqa: PLC0415 (cluster imports us)
    try:
        return Cluster.load(cluster.name).facts.get("users", {})
    except ClusterError:
        return {}


def add_accounts(cluster: Cluster, accounts: Mapping[str, tuple[int, Sequence[str]]]
                 ) -> None:
    """Slurm accounts ``{name: (fairshare, users)}``: each user created (``add_users``)
    and associated with its account, the account's shares set (also when it existed).
    Returns once slurmctld knows every association: with AccountingStorageEnforce a job
    submitted before would be refused."""
    for name in accounts:
        if not _USER.match(name):
            raise ClusterError(f"account name {name!r} must match {_USER.pattern}")
    add_users(cluster, [u for _, users in accounts.values() for u in users])
    for name, (fairshare, users) in accounts.items():
        _sacctmgr_add(cluster, ["account", name, f"Fairshare={int(fairshare)}",
                                f"Description={name}", f"Organization={name}"])
        # An account left by an earlier run keeps its old shares unless told.
        _sacctmgr(cluster, ["modify", "account", "where", f"name={name}",
                            "set", f"Fairshare={int(fairshare)}"])
        if users:
            _sacctmgr_add(cluster, ["user", ",".join(users), f"Account={name}"])
    wanted = {(acct, user) for acct, (_, users) in accounts.items() for user in users}
    wait_for(lambda: wanted <= _ctld_associations(cluster), 30,
             "slurmctld to learn the new associations")


def _ctld_associations(cluster: Cluster) -> set[tuple[str, str]]:
    """(account, user) of every user association slurmctld holds (not slurmdbd's)."""
    out = cluster.slurm(["scontrol", "-o", "show", "assoc_mgr", "flags=assoc"])
    return set(re.findall(r"\bAccount=(\S+) UserName=([^\s(]+)", out))


def _sacctmgr_add(cluster: Cluster, what: list[str]) -> None:
    # Adding what already exists is fine: sacctmgr then says so and exits 1 ("already
    # exists" on 22.05, "Already existing account ..." on 24.11; an existing user
    # association: "Nothing new added" on 22.05, "Request didn't affect anything" from 24.11).
    _sacctmgr(cluster, ["add", *what], "Nothing new added", "already exists",
              "Already existing", "Request didn't affect anything")


def _sacctmgr(cluster: Cluster, argv: list[str], *harmless: str) -> None:
    """``sacctmgr -i ARGV`` on the controller; a failure saying one of ``harmless`` is none."""
    done = cluster.exec("ctld", ["sacctmgr", "-i", *argv])
    out = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode != 0 and not any(h in out for h in harmless):
        raise ClusterError(f"sacctmgr {' '.join(argv[:2])} failed: "
                           f"{out.strip().splitlines()[-1:]}")
