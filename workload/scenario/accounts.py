"""The ``accounts`` and ``qos`` sections: the association tree and QOS both backends use.

``accounts: {NAME: {fairshare: N, users: [..], parent: ACCOUNT, qos: QOS}}``: accounts
nest through ``parent`` (default root); a job's QOS is its account's ``qos`` (else
``normal``). ``qos: {NAME: {Priority: N, MaxWall: TIME, MaxJobsPU: N, MaxSubmitPU: N,
GrpTRES: cpu=N}}`` with Slurm's own names and time format (minutes, D-HH:MM...).
"""

from __future__ import annotations

import math

from workload.errors import InputError
from workload.scenario.schema import Key, opt
from workload.slurmconf import AccountConf, QosConf, minutes_text_to_s

ACCOUNT_KEYS = ("fairshare", "users", "parent", "qos")
QOS_KEYS = ("Priority", "MaxWall", "MaxJobsPU", "MaxSubmitPU", "GrpTRES")


def parse_accounts(key: Key | None) -> dict[str, dict[str, object]]:
    """``{account: {fairshare, users, parent, qos}}``; parents must exist, no cycles."""
    if key is None or key.value is None:
        return {}
    out: dict[str, dict[str, object]] = {}
    for name, entry in key.mapping().items():
        keys = entry.mapping(ACCOUNT_KEYS)
        users = [u.text() for u in keys["users"].items()] if "users" in keys else []
        out[name] = {"fairshare": opt(keys, "fairshare", "integer", 1, low=1), "users": users,
                     "parent": opt(keys, "parent", "text", "root"),
                     "qos": opt(keys, "qos", "text", None)}
    mapping = key.mapping()
    for name, account in out.items():
        seen, parent = {name}, account["parent"]
        while parent != "root":
            if parent not in out:
                raise mapping[name].error(f"parent {parent!r} is not an account here")
            if parent in seen:
                raise mapping[name].error("accounts' parents form a cycle")
            seen.add(parent)
            parent = out[parent]["parent"]
    return out


def parse_qos(key: Key | None) -> tuple[QosConf, ...]:
    if key is None or key.value is None:
        return ()
    out = []
    for name, entry in key.mapping().items():
        keys = entry.mapping(QOS_KEYS)
        out.append(QosConf(
            name, priority=opt(keys, "Priority", "integer", 0, low=0),
            max_wall_s=_time(keys["MaxWall"]) if "MaxWall" in keys else math.inf,
            max_jobs_pu=opt(keys, "MaxJobsPU", "integer", None, low=0),
            max_submit_pu=opt(keys, "MaxSubmitPU", "integer", None, low=0),
            grp_cpus=_grp_cpus(keys["GrpTRES"]) if "GrpTRES" in keys else None))
    return tuple(out)


def account_confs(accounts: dict[str, dict[str, object]]) -> tuple[AccountConf, ...]:
    return tuple(AccountConf(name, int(e["fairshare"]), tuple(e["users"]),  # type: ignore
                             str(e.get("parent") or "root"), e.get("qos"))  # type: ignore
                 for name, e in accounts.items())


def _time(key: Key) -> float:
    try:
        return minutes_text_to_s(str(key.scalar()), field=key.path)
    except InputError as err:
        raise key.error(err.rule) from None


def _grp_cpus(key: Key) -> int:
    """GrpTRES=cpu=N (the one TRES the simulator limits)."""
    parts = dict(p.partition("=")[::2] for p in key.text().lower().split(","))
    if set(parts) != {"cpu"} or not parts["cpu"].isdigit():
        raise key.error("GrpTRES must be cpu=N")
    return int(parts["cpu"])
