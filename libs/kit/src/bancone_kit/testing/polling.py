"""Waiting for asynchronous work in tests without sleeping a fixed time: poll with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], within: float = 60.0, every: float = 0.05
) -> T:
    """Poll `probe` until it returns something truthy and return that, or fail (TimeoutError)
    after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(every)
