"""Opting out on WhatsApp, through all five services as processes: the customer's "STOP"
reaches the notifier's consent ledger, and the confirmation goes out through the real
`bancone.outbound.v1` and the sandbox; the assistant does not answer the keyword."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e


async def test_a_stop_message_is_confirmed_in_italian_and_a_normal_sentence_is_not(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]

    _, response = await platform.say(demo, customer, "Basta messaggi")

    assert response.status_code == 200, response.text
    texts = await platform.replies(customer, count=1, seconds=90)
    confirmations = [t for t in texts if "ISCRIVIMI" in t]
    assert confirmations, f"an opt-out confirmation among {texts}"
    after = await platform.settle(customer, seconds=3)
    assert sum("ISCRIVIMI" in t for t in after) == 1, "confirmed once"
    assert len(after) == 1, f"the confirmation and no assistant reply: {after}"

    other = customer[:-1] + str((int(customer[-1]) + 1) % 10)
    _, response = await platform.say(demo, other, "non basta il vino, ne voglio due")
    assert response.status_code == 200, response.text
    await platform.replies(other, count=1, seconds=90)  # the assistant's answer
    assert not any("ISCRIVIMI" in t for t in await platform.settle(other, seconds=3))
