"""The negative cache of template sync-on-miss (`template_handlers.prepare_template`): a
template name and language Meta did not list either is not asked for again for `ttl_seconds`,
and concurrent misses of one key wait for a single lookup. Per process: each replica asks at
most once per key and period (a misspelt template in a campaign of 10,000 is one lookup, not
10,000).

The price: a template created in Meta's own tools right after a miss is refused as unknown
until the entry expires (or sooner if it is synced, created here, or reported by webhook: all
of those store the template locally, and a locally known template never reaches this cache).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

MissKey = tuple[str, str, str, str]
"""(tenant_id, waba_id, template name, language)."""


class TemplateMisses:
    def __init__(
        self,
        ttl_seconds: float = 300.0,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._until: OrderedDict[MissKey, float] = OrderedDict()
        self._locks: dict[MissKey, tuple[asyncio.Lock, int]] = {}

    def missing(self, key: MissKey) -> bool:
        """Whether Meta did not know this template a short while ago."""
        until = self._until.get(key)
        if until is None:
            return False
        if self._clock() >= until:
            del self._until[key]
            return False
        return True

    def remember(self, key: MissKey) -> None:
        if self.ttl_seconds <= 0:
            return
        self._until[key] = self._clock() + self.ttl_seconds
        self._until.move_to_end(key)
        while len(self._until) > self._max:
            self._until.popitem(last=False)

    @asynccontextmanager
    async def single_lookup(self, key: MissKey) -> AsyncIterator[None]:
        """One lookup of `key` at a time in this process; the lock goes once nobody holds or
        awaits it."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
