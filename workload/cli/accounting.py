"""The replay options for a site's accounting, and the source they make.

The options reach the command as one argument, ``accounting`` (a dict of the five),
which it passes on to ``open_source`` explicitly, as the Slurm options reach it as
``slurm`` (options.py).
"""

from __future__ import annotations

import functools
from typing import Any

import click

from workload.errors import ClusterError, InputError
from workload.sources.accounting import AccountingSource
from workload.sources.anonymize import Anonymizer
from workload.sources.load import load_source
from workload.sources.sacct import FORMATS
from workload.sources.sacct.tree import nested
from workload.sources.trace import Window

KEYS = ("fmt", "accounts", "qos", "anonymize", "anonymize_map", "partition_map")


def _option(*decls: str, **kwargs: Any):
    return click.option(*decls, **kwargs)


def _collect(command):
    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        kwargs["accounting"] = {key: kwargs.pop(key) for key in KEYS}
        return command(*args, **kwargs)
    return wrapper


def accounting_options(func):
    func = _collect(func)
    for decorator in reversed((
        _option("--format", "fmt", type=click.Choice(FORMATS),
                help="What TRACE is: sacct (-P/-p dump), sacct-json, swf or jsonl "
                     "(wlgen-jobs) [default: recognised by its content]."),
        _option("--accounts", type=click.Path(exists=True, dir_okay=False),
                help="`sacctmgr -P show assoc` dump: the accounts, shares and users."),
        _option("--qos", type=click.Path(exists=True, dir_okay=False),
                help="`sacctmgr -P show qos` dump: the QOS and their limits."),
        _option("--anonymize", is_flag=True,
                help="Replace users, groups, accounts, partitions and job names by stable "
                     "pseudonyms (keyed by --seed)."),
        _option("--anonymize-map", type=click.Path(dir_okay=False),
                help="Write the real -> pseudonym map here (JSON); without it none is kept."),
        _option("--partition-map", metavar="SRC=DST,...",
                help="Run jobs of the trace's partition SRC in the cluster's partition DST "
                     "(each DST must exist; other partitions the cluster lacks go to its "
                     "default partition)."),
    )):
        func = decorator(func)
    return func


def open_source(trace: str, accounting: dict[str, Any], *, strict: bool, use_memory: bool,
                window: Window, seed: int = 0) -> AccountingSource:
    """The replay's source for TRACE with the ``accounting`` options as given."""
    given = accounting
    if given.get("anonymize_map") and not given.get("anonymize"):
        raise InputError("--anonymize-map needs --anonymize", field="--anonymize-map")
    inner = load_source(trace, given.get("fmt"), strict=strict, use_memory=use_memory,
                        window=window)
    return AccountingSource(inner, anonymizer=Anonymizer(seed) if given.get("anonymize")
                            else None, anonymize_map=given.get("anonymize_map"),
                            accounts=given.get("accounts"), qos=given.get("qos"),
                            partition_map=partition_map(given.get("partition_map")))


def partition_map(text: str | None) -> dict[str, str]:
    """``--partition-map gpu=batch,long=batch`` -> {"gpu": "batch", "long": "batch"}."""
    out: dict[str, str] = {}
    if text is None:
        return out
    for item in text.split(","):
        src, eq, dst = (x.strip() for x in item.partition("="))
        if not (src and eq and dst) or src in out:
            raise InputError("must be SRC=DST pairs separated by commas, each SRC once",
                             field="--partition-map", value=text)
        out[src] = dst
    return out


def prepare_accounts(source: AccountingSource, backend: str, cluster_name: object) -> None:
    """On a wlgen container cluster (``--cluster``): the QOS of ``--qos``, then the
    accounts, shares and users of ``--accounts`` (as the dump's tree: see nest_accounts),
    each user granted its QOS, before the clock starts."""
    if backend == "sim" or not (source.associations or source.qos):
        return
    from workload.cluster import Cluster                    # noqa: PLC0415 (slurm runs only)
    from workload.cluster.qos import add_qos, grant_qos     # noqa: PLC0415
    from workload.cluster.users import add_accounts         # noqa: PLC0415
    name = cluster_name
    if name is None:
        click.echo("wlgen: note: --accounts/--qos are only created on a wlgen container "
                   "cluster (--cluster NAME); this Slurm keeps its own", err=True)
        return
    # The tree first: a dump with a cycle or a missing parent is refused (exit 2) before
    # anything on the cluster changes.
    tree = [(source.pseudonym("account", a), source.pseudonym("account", p))
            for a, p in nested(source.associations, source.accounts_file)]
    cluster = Cluster.load(str(name))
    add_qos(cluster, [(q.name, q.priority, q.max_wall_s) for q in source.qos])
    accounts = source.account_tree()
    add_accounts(cluster, accounts)
    nest_accounts(cluster, tree)
    for user, account, names in source.user_qos():
        grant_qos(cluster, user, account, names)
    click.echo(f"wlgen: created {len(accounts)} accounts and {len(source.qos)} QOS on "
               f"cluster {name}", err=True)


def nest_accounts(cluster: Any, pairs: list[tuple[str, str]]) -> None:
    """Move each account under its parent (parents first): add_accounts made them all
    under root. Already there (an earlier run's) is fine: sacctmgr says so, exit 1."""
    for account, parent in pairs:
        done = cluster.exec("ctld", ["sacctmgr", "-i", "modify", "account", "where",
                                     f"name={account}", "set", f"parent={parent}"])
        out = (done.stdout + done.stderr).decode(errors="replace")
        if done.returncode and not any(h in out for h in ("Nothing modified",
                                                           "didn't affect anything")):
            raise ClusterError(f"sacctmgr could not move account {account} under {parent}: "
                               f"{out.strip().splitlines()[-1:]}")
