"""The SWF header: ``; Key: value`` comment lines, kept in order (keys may repeat)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass
class Header:
    """Header comment lines as (key, value) pairs in file order.

    Repeated keys (Note, Queue, Partition) keep every occurrence. A comment without a
    ``Key:`` is kept with key "" so a round trip gives the same header back.
    """

    entries: list[tuple[str, str]] = field(default_factory=list)

    def add_line(self, comment: str) -> None:
        """Take one comment line's text (without the leading ';')."""
        text = comment.strip()
        key, sep, value = text.partition(":")
        # "Key: value", but not a wrapped URL such as "http://..." on its own line.
        if sep and _KEY.fullmatch(key) and not value.startswith("//"):
            self.entries.append((key, value.strip()))
        else:
            self.entries.append(("", text))

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of ``key`` (case-insensitive)."""
        for k, v in self.entries:
            if k.lower() == key.lower():
                return v
        return default

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self.entries if k.lower() == key.lower()]

    def get_int(self, key: str) -> int | None:
        value = self.get(key)
        try:
            return int(float(value.split()[0])) if value else None
        except ValueError:
            return None

    def set(self, key: str, value: str) -> None:
        """Replace the first ``key`` entry, or append one."""
        for i, (k, _) in enumerate(self.entries):
            if k.lower() == key.lower():
                self.entries[i] = (k, value)
                return
        self.entries.append((key, value))

    def set_all(self, key: str, values: Iterable[str]) -> None:
        """Replace every ``key`` entry by one per value, where the first was (else at the end)."""
        at = next((i for i, (k, _) in enumerate(self.entries) if k.lower() == key.lower()),
                  len(self.entries))
        kept = [(k, v) for k, v in self.entries if k.lower() != key.lower()]
        kept[at:at] = [(key, value) for value in values]
        self.entries = kept

    def lines(self) -> Iterator[str]:
        for key, value in self.entries:
            yield f"; {key}: {value}" if key else f"; {value}".rstrip()

    @property
    def max_procs(self) -> int | None:
        """The system size the trace states: MaxProcs, else MaxNodes."""
        return self.get_int("MaxProcs") or self.get_int("MaxNodes")
