"""``sacctmgr -P show assoc``: the account tree, each user's accounts, shares and QOS."""

from __future__ import annotations

from dataclasses import dataclass

from workload.errors import InputError
from workload.sources.sacct.table import rows, whole

REQUIRED = ("Account", "User", "Share")


@dataclass(frozen=True, slots=True)
class Association:
    """One row: an account (``user`` None) or a user in an account."""

    account: str
    user: str | None
    share: int | None          # None: "parent" (shares with its parent account)
    parent: str | None         # ParentName when dumped; else "root" for non-root accounts
    partition: str | None = None
    qos: tuple[str, ...] = ()
    default_qos: str | None = None
    max_jobs: int | None = None
    max_submit: int | None = None
    max_wall: str | None = None


def load_assoc(path: str) -> list[Association]:
    """Every association of the dump, in its order (sacctmgr prints parents first)."""
    out = []
    for line, v in rows(path, REQUIRED):
        account, user = v["Account"], v["User"] or None
        if not account:
            raise InputError("an association needs an account", file=path, line=line,
                             field="Account")
        share = v["Share"]
        parent = v.get("Par Name") or v.get("ParentName") or (
            None if account == "root" or user else "root")
        out.append(Association(
            account=account, user=user,
            share=None if share == "parent" else whole(share, path, line, "Share"),
            parent=parent, partition=v.get("Partition") or None,
            qos=tuple(q for q in v.get("QOS", "").split(",") if q),
            default_qos=v.get("Def QOS") or None,
            max_jobs=whole(v.get("MaxJobs", ""), path, line, "MaxJobs"),
            max_submit=whole(v.get("MaxSubmit", ""), path, line, "MaxSubmit"),
            max_wall=v.get("MaxWall") or None))
    return out
