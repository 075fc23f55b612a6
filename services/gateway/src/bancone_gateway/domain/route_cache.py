"""A small time-bounded memo of channel routes, so a webhook does not read the channel table
(and open a sealed secret) on every request.

Pure: the caller passes the clock. Entries live `ttl` seconds; a change made through this
process's provisioning API clears the memo at once, a change made by another replica is seen
within `ttl`. Absent channels are remembered too (as None), so a flood for an unknown number
does not reach the database either.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

V = TypeVar("V")

MAX_ENTRIES = 10_000
"""Past this many keys the memo starts afresh rather than grow without bound."""


class RouteCache(Generic[V]):
    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[str, tuple[float, V | None]] = {}
        self._generation = 0

    @property
    def generation(self) -> int:
        """Take it before a lookup and pass it to `remember`: a `clear` in between (a channel
        changed meanwhile) makes the looked-up value stale, and it is then not kept."""
        return self._generation

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def known(self, keys: Iterable[str], now: float) -> tuple[dict[str, V | None], list[str]]:
        """The fresh entries among `keys` (None = known absent) and the keys to look up."""
        found: dict[str, V | None] = {}
        missing: list[str] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                found[key] = entry[1]
            else:
                missing.append(key)
        return found, missing

    def remember(self, key: str, value: V | None, now: float, generation: int) -> None:
        if not self.enabled or generation != self._generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (now + self._ttl, value)

    def clear(self) -> None:
        self._entries.clear()
        self._generation += 1
