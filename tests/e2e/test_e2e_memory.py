"""A conversation that remembers, through all five services as processes: a search, a
follow-up narrowing it ("e sotto i 15 euro?") and a reference to what was shown ("il primo")."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e

LINE = re.compile(r"^• \*(?P<name>[^*]+)\* — € (?P<price>\d+,\d{2})", re.MULTILINE)


def listed(reply: str) -> list[tuple[str, Decimal]]:
    """The products a reply lists, in order, with their prices."""
    return [(m["name"], Decimal(m["price"].replace(",", "."))) for m in LINE.finditer(reply)]


async def test_three_turns_a_follow_up_and_a_reference_are_answered_from_memory(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]

    await platform.say(demo, customer, "Avete vino rosso?")
    first = (await platform.replies(customer, count=1))[-1]
    await platform.say(demo, customer, "e qualcosa sotto i 15 euro?")
    second = (await platform.replies(customer, count=2))[-1]
    await platform.say(demo, customer, "quanto costa il primo?")
    third = (await platform.replies(customer, count=3))[-1]

    assert listed(first), first
    cheaper = listed(second)
    assert cheaper, second
    assert all(price <= 15 for _, price in cheaper), second
    name, price = cheaper[0]
    assert listed(third) == [(name, price)], third
    assert len(await platform.settle(customer, seconds=4)) == 3
