"""The channel-route memo: fresh entries answer, stale ones and unknown keys are looked up, a
clear (a channel changed here) drops everything and a lookup that raced it is not kept."""

from __future__ import annotations

import asyncio

import pytest

from bancone_gateway.domain.route_cache import RouteCache
from bancone_gateway.handlers.deps import Route
from bancone_gateway.handlers.webhook import _memoised

pytestmark = pytest.mark.unit


def test_fresh_entries_answer_and_expired_or_unknown_ones_are_looked_up() -> None:
    cache = RouteCache[str](ttl=5.0)
    cache.remember("PN1", "tenant-a", now=100.0, generation=cache.generation)
    cache.remember("PN2", None, now=100.0, generation=cache.generation)

    assert cache.known(["PN1", "PN2", "PN3"], now=104.0) == (
        {"PN1": "tenant-a", "PN2": None},
        ["PN3"],
    )
    assert cache.known(["PN1"], now=105.0) == ({}, ["PN1"])


def test_a_clear_drops_entries_and_refuses_a_lookup_that_started_before_it() -> None:
    cache = RouteCache[str](ttl=5.0)
    cache.remember("PN1", "tenant-a", now=0.0, generation=cache.generation)
    started = cache.generation

    cache.clear()
    cache.remember("PN1", "tenant-a", now=0.0, generation=started)

    assert cache.known(["PN1"], now=1.0) == ({}, ["PN1"])


def test_a_zero_ttl_keeps_nothing() -> None:
    cache = RouteCache[str](ttl=0.0)
    cache.remember("PN1", "tenant-a", now=0.0, generation=cache.generation)
    assert cache.known(["PN1"], now=0.0) == ({}, ["PN1"])


async def test_a_burst_after_expiry_reads_the_channel_table_once() -> None:
    """Hundreds of webhooks in flight when the memo expires: one read, not one per request
    (each read is a session; on SQLite a write transaction — the burst exhausted the pool)."""
    cache = RouteCache[Route](ttl=5.0)
    reads: list[list[str]] = []

    async def read(missing: list[str]) -> dict[str, Route | None]:
        reads.append(missing)
        await asyncio.sleep(0.01)  # the database's round-trip, while the others arrive
        return {"PN1": Route("tenant-a", "secret"), "PN2": None}

    lock = asyncio.Lock()
    answers = await asyncio.gather(
        *(_memoised(cache, lock, ["PN1", "PN2"], read) for _ in range(50))
    )

    assert reads == [["PN1", "PN2"]]
    assert all(answer == {"PN1": Route("tenant-a", "secret")} for answer in answers)
