"""The channel-route memo: fresh entries answer, stale ones and unknown keys are looked up, a
clear (a channel changed here) drops everything and a lookup that raced it is not kept."""

from __future__ import annotations

import pytest

from bancone_gateway.domain.route_cache import RouteCache

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
