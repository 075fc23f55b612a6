"""The assistant's own share of a turn: its wall time minus the time spent waiting on tools.

The eval's tools are the agent's real `HttpShopTools` calling a catalog process over loopback
HTTP, so a turn's wall time is mostly that HTTP. `TimedTools` wraps them and adds up the wall
time during which at least one tool call is in flight (calls the assistant runs concurrently,
`asyncio.gather`, count once); `turn wall time - waited` is the assistant's own time: reading
the message, memory, ranking, wording, the guard (and, on the LLM path, the model's HTTP).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from bancone_agent.domain import KnowledgeHit, Product, ProductQuery
from bancone_agent.domain.assistant import ShopTools

T = TypeVar("T")


class TimedTools:
    """`ShopTools` that measure how long the caller waited on them."""

    def __init__(self, tools: ShopTools, clock: Callable[[], float] = time.perf_counter) -> None:
        self._tools = tools
        self._clock = clock
        self._in_flight = 0
        self._since = 0.0
        self.waited = 0.0
        """Seconds with at least one call in flight, since creation or `reset`."""
        self.calls = 0

    def reset(self) -> None:
        self.waited = 0.0
        self.calls = 0

    async def _timed(self, call: Awaitable[T]) -> T:
        if self._in_flight == 0:
            self._since = self._clock()
        self._in_flight += 1
        self.calls += 1
        try:
            return await call
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.waited += self._clock() - self._since

    async def search_products(self, query: ProductQuery) -> list[Product]:
        return await self._timed(self._tools.search_products(query))

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return await self._timed(self._tools.search_knowledge(text, kinds))

    async def get_product(self, product_id: str) -> Product | None:
        return await self._timed(self._tools.get_product(product_id))

    async def list_offers(self) -> list[KnowledgeHit]:
        return await self._timed(self._tools.list_offers())
