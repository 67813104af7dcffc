"""Trace users as real cluster users: created on first sight, jobs run as their uid."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from workload.errors import BackendError, WlgenError

Adder = Callable[[list[str]], dict[str, int]]


class UserMap:
    """name -> (uid, gid) for submitting as that user; ``adder`` creates missing ones
    (``Cluster.add_users``); without an adder every job is submitted as ourselves."""

    def __init__(self, adder: Adder | None = None) -> None:
        self.adder = adder
        self.ids: dict[str, tuple[int, int]] = {}
        self.lock = threading.Lock()

    def ensure(self, name: str, also: Callable[[], Iterable[str]] = tuple
               ) -> tuple[int, int] | None:
        """The ids to submit ``name``'s job with. ``also()`` names users likely needed
        soon (queued jobs), created in the same round trip; it is called only when
        ``name`` is missing, so a known user costs a dict lookup."""
        if self.adder is None:
            return None
        known = self.ids.get(name)
        if known is not None:
            return known
        with self.lock:
            if name not in self.ids:
                wanted = sorted({name, *also()} - set(self.ids))
                try:
                    uids = self.adder(wanted)
                except WlgenError as error:
                    raise BackendError(f"cannot create users {', '.join(wanted)}: {error}") \
                        from None
                # The cluster's entrypoint gives each user a group with the same number.
                self.ids.update({n: (uid, uid) for n, uid in uids.items()})
            return self.ids[name]
