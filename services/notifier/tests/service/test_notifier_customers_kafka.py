"""Customer interests and campaign segments with the notifier as it runs: real Kafka topics,
real PostgreSQL, the WhatsApp sandbox as Graph API, the HTTP API with operator tokens.

Interests come from the catalog's order events and the agent's turn events as they travel on
Kafka; campaigns filtered by tag and category are counted at the sandbox, which is what a
customer would receive."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bancone_contracts.common import utc_now
from bancone_kit.testing.polling import eventually
from services.notifier.tests.customer_support import (
    TEMPLATE,
    Harness,
    interests_become,
    order_event,
    running_customer_harness,
    turn_event,
)

pytestmark = pytest.mark.service


@pytest.fixture
async def harness(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Harness]:
    async with running_customer_harness(postgres_url, kafka_bootstrap, new_topic) as found:
        yield found


async def test_interests_come_from_paid_orders_and_shown_products_once_each(
    harness: Harness,
) -> None:
    shop = harness.shop
    async with harness.notifier() as (_, client):
        wa_id = await harness.wrote(shop, "iscrivimi", "Giulia")
        order_id = str(uuid.uuid4())
        paid = order_event(shop, wa_id, "paid", ["vino-rosso", "olio", None], order_id=order_id)
        pending = order_event(shop, wa_id, "pending", ["grappa"])
        turn = turn_event(shop, wa_id, ("spumante", "vino-bianco"), searched="vino-bianco")
        for event in (pending, paid, turn):
            await harness.publish(event)
        expected = {"bought": ["olio", "vino-rosso"], "asked": ["spumante", "vino-bianco"]}
        await interests_become(client, shop.tenant_id, wa_id, expected)
        first = await harness.interests(shop.tenant_id, wa_id)
        assert len(first) == 4

        # Redelivered events, and the same order shipped a day later, add nothing; the sentinels
        # behind them (same key, so read after them) say when they have been handled.
        shipped = order_event(
            shop, wa_id, "shipped", ["vino-rosso"], order_id=order_id, at=utc_now()
        )
        for event in (paid, turn, shipped, paid, turn):
            await harness.publish(event)
        await harness.publish(order_event(shop, wa_id, "paid", ["sentinella"]))
        await harness.publish(turn_event(shop, wa_id, ("sentinella",)))
        expected = {
            "bought": ["olio", "sentinella", "vino-rosso"],
            "asked": ["sentinella", "spumante", "vino-bianco"],
        }
        await interests_become(client, shop.tenant_id, wa_id, expected)
        after = await harness.interests(shop.tenant_id, wa_id)

    assert [row for row in after if row[1] != "sentinella"] == first


async def test_a_segment_by_tag_and_bought_category_reaches_exactly_its_opted_in_customers(
    harness: Harness,
) -> None:
    shop = harness.shop
    base = f"/v1/tenants/{shop.tenant_id}"
    async with harness.notifier() as (_, client):
        # ANNA: vip who bought red wine. BRUNO: vip, bought nothing. CARLA: bought red wine,
        # no tag. DARIO: vip who bought red wine, opted out. ELSA: only asked about red wine.
        anna, bruno, carla, elsa = [await harness.wrote(shop, "iscrivimi") for _ in range(4)]
        dario = await harness.wrote(shop, "STOP")
        for wa_id in (anna, bruno, dario):
            tagged = await client.put(f"{base}/customers/{wa_id}/tags", json={"tags": ["VIP"]})
            assert tagged.status_code == 200, tagged.text
            assert tagged.json()["tags"] == ["vip"]
        for wa_id in (anna, carla, dario):
            await harness.publish(order_event(shop, wa_id, "paid", ["vino-rosso"]))
        await harness.publish(turn_event(shop, elsa, ("vino-rosso",)))
        for wa_id in (anna, carla, dario):
            await interests_become(
                client, shop.tenant_id, wa_id, {"bought": ["vino-rosso"], "asked": []}
            )
        await interests_become(
            client, shop.tenant_id, elsa, {"bought": [], "asked": ["vino-rosso"]}
        )

        async def campaign(segment: dict[str, Any]) -> dict[str, Any]:
            created = await client.post(
                f"{base}/campaigns",
                json={
                    "name": "Rossi",
                    "phone_number_id": shop.phone_number_id,
                    "template": {"name": TEMPLATE, "language": "it", "placeholders": 0},
                    "segment": segment,
                    "send_now": True,
                },
            )
            assert created.status_code == 201, created.text

            async def done() -> dict[str, Any] | None:
                found = (await client.get(f"{base}/campaigns/{created.json()['id']}")).json()
                return found if found["state"] == "completed" else None

            return await eventually(done)

        both = await campaign({"tags": ["vip"], "bought_categories": ["vino-rosso"]})
        assert (both["total"], both["counts"]["sent"]) == (1, 1)
        assert [len(await harness.sent_to(c)) for c in (anna, bruno, carla, dario, elsa)] == [
            1,
            0,
            0,
            0,
            0,
        ]

        vip = await campaign({"tags": ["vip"]})
        bought = await campaign({"bought_categories": ["vino-rosso", "grappa"]})
        asked = await campaign({"asked_categories": ["vino-rosso"]})
        assert [vip["total"], bought["total"], asked["total"]] == [2, 2, 1]
        assert [len(await harness.sent_to(c)) for c in (anna, bruno, carla, dario, elsa)] == [
            3,
            1,
            1,
            0,
            1,
        ]

        # listed by name, the opted-out vip is skipped with the reason, never sent to
        listed = await campaign({"customers": [anna, dario], "tags": ["vip"]})
        assert listed["skipped"] == {"opted out": 1}
        assert len(await harness.sent_to(dario)) == 0
