"""Associations, their decayed usage, and the fair-share factor (Fair Tree or classic).

Fair Tree (Slurm's default, doc/html/fair_tree.shtml): at each level an association's
level fair-share is LF = S / U, S its shares over its siblings' shares, U its usage over
its siblings' usage (infinite when U is 0). Siblings are visited by LF, highest first,
depth first; users get ``rank / number_of_users`` in visiting order, the first 1.0.
Tied users share a rank; tied accounts have their children merged and sorted together.

Classic (PriorityFlags=NO_FAIR_TREE, classic_fair_share.shtml):
``F = 2 ** (-U_eff / S_norm / FairShareDampeningFactor)`` with S_norm the product of
share ratios up the tree and U_eff = U + (U_parent_eff - U) * S_sibling_ratio.

Usage: allocated CPU-seconds, multiplied by ``(1 - ln2 / half_life) ** seconds`` as it
ages (Slurm's decay factor), brought up to date at each PriorityCalcPeriod.
"""

from __future__ import annotations

import math

from workload.slurmconf import AccountConf

DEFAULT_ACCOUNT = "wlgen"   # where the container cluster puts users no account names


class Assoc:
    __slots__ = ("name", "shares", "parent", "children", "usage", "user", "fs", "lf")

    def __init__(self, name: str, shares: float, parent: Assoc | None, user: bool) -> None:
        self.name, self.shares, self.parent, self.user = name, shares, parent, user
        self.children: list[Assoc] = []
        self.usage = 0.0
        self.fs = 1.0
        self.lf = math.inf
        if parent is not None:
            parent.children.append(self)


class FairShare:
    """The association tree; ``leaf(user, account)`` is where a job's usage goes."""

    def __init__(self, accounts: tuple[AccountConf, ...], *, half_life_s: float,
                 fair_tree: bool, damping: float) -> None:
        self.root = Assoc("root", 1, None, False)
        self.accounts: dict[str, Assoc] = {"root": self.root}
        self.users: dict[tuple[str, str], Assoc] = {}
        self.default_of: dict[str, str] = {}
        self.qos_of: dict[str, str | None] = {}
        pending = list(accounts)
        while pending:                       # parents before children, any file order
            ready = [a for a in pending if a.parent in self.accounts]
            if not ready:
                raise ValueError(f"account parents not found: {[a.parent for a in pending]}")
            for acct in ready:
                pending.remove(acct)
                self.accounts[acct.name] = Assoc(acct.name, acct.shares,
                                                 self.accounts[acct.parent], False)
                self.qos_of[acct.name] = acct.qos
                for user in acct.users:
                    self.default_of.setdefault(user, acct.name)
                    self._user(user, acct.name)
        self.decay = 1 - math.log(2) / half_life_s if half_life_s and math.isfinite(
            half_life_s) else 1.0
        self.fair_tree, self.damping = fair_tree, damping
        self.updated = 0.0

    def _user(self, user: str, account: str) -> Assoc:
        key = (user, account)
        if key not in self.users:
            if account not in self.accounts:
                self.accounts[account] = Assoc(account, 1, self.root, False)
                self.qos_of[account] = None
            self.users[key] = Assoc(user, 1, self.accounts[account], True)
        return self.users[key]

    def leaf(self, user: str, account: str | None) -> Assoc:
        return self._user(user, account or self.default_of.get(user, DEFAULT_ACCOUNT))

    # -- usage ------------------------------------------------------------------------------
    def decay_to(self, now: float) -> None:
        """Age every usage to ``now``."""
        elapsed = now - self.updated
        if elapsed > 0 and self.decay < 1.0:
            factor = self.decay ** elapsed
            for assoc in self.users.values():
                assoc.usage *= factor
        self.updated = max(self.updated, now)

    def charge(self, leaf: Assoc, cpu_s: float) -> None:
        leaf.usage += cpu_s

    # -- factors ---------------------------------------------------------------------------
    def recompute(self) -> None:
        """Every user association's fair-share factor from the current usage."""
        self._sum(self.root)
        if self.fair_tree:
            self._rank()
        else:
            self._classic(self.root, 1.0, 0.0)

    def _sum(self, node: Assoc) -> float:
        if not node.user:
            node.usage = sum(self._sum(c) for c in node.children)
        return node.usage

    def _rank(self) -> None:
        for node in self.accounts.values():
            _level_fs(node.children)
        users = len(self.users) or 1
        rank = [users]

        def visit(group: list[Assoc]) -> None:
            if len(group) == 1:                 # the common case: nothing to sort
                only = group[0]
                if only.user:
                    only.fs = rank[0] / users
                    rank[0] -= 1
                else:
                    visit(only.children)
                return
            group = sorted(group, key=_by_lf)
            if all(a.user for a in group):     # one level of users: ranks, ties shared
                last, at = None, rank[0]
                for person in group:
                    if person.lf != last:
                        last, at = person.lf, rank[0]
                    person.fs = at / users
                    rank[0] -= 1
                return
            i, n = 0, len(group)
            while i < n:
                lf, j = group[i].lf, i + 1
                while j < n and group[j].lf == lf:
                    j += 1
                people = [a for a in group[i:j] if a.user]
                for person in people:          # users before accounts in a tie
                    person.fs = rank[0] / users
                rank[0] -= len(people)
                merged = [c for a in group[i:j] if not a.user for c in a.children]
                if merged:
                    visit(merged)
                i = j

        visit(self.root.children)

    def _classic(self, node: Assoc, s_norm: float, parent_eff: float) -> None:
        total_shares = sum(c.shares for c in node.children) or 1
        root_usage = self.root.usage
        for child in node.children:
            ratio = child.shares / total_shares
            u_norm = child.usage / root_usage if root_usage else 0.0
            u_eff = u_norm if node is self.root else u_norm + (parent_eff - u_norm) * ratio
            s = s_norm * ratio
            if child.user:
                child.fs = 2 ** (-(u_eff / s) / self.damping) if s else 0.0
            else:
                self._classic(child, s, u_eff)


def _by_lf(assoc: Assoc) -> float:
    return -assoc.lf


def _level_fs(siblings: list[Assoc]) -> None:
    shares = sum(a.shares for a in siblings)
    usage = sum(a.usage for a in siblings)
    for a in siblings:
        s = a.shares / shares if shares else 0.0
        u = a.usage / usage if usage else 0.0
        a.lf = 0.0 if not s else (s / u if u else math.inf)
