"""Campaigns with the notifier as it runs: real Kafka topics, real PostgreSQL, the WhatsApp
sandbox as Graph API, the HTTP API with operator tokens. Customers opt in and out by writing
keywords (the consent consumer); sends are counted at the sandbox, which is what a customer
would receive."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from bancone_contracts.common import utc_now
from bancone_contracts.events.catalog import CatalogChange, CatalogEntityChanged, OfferSnapshot
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived
from bancone_kit.db import session_factory
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import bearer
from bancone_notifier.adapters import campaign_store
from bancone_notifier.adapters.tables import OutboundMessageRecord
from bancone_notifier.campaign_runner import CampaignRunner
from bancone_notifier.domain.pacing import Priority
from services.notifier.tests.support import EventFactory
from services.notifier.tests.support.kafka import KafkaHarness, running_harness

pytestmark = pytest.mark.service

EVENTS = (
    CatalogEntityChanged,
    ChannelChanged,
    OutboundMessageRequested,
    WhatsAppStatusUpdated,
    InboundMessageReceived,
    WhatsAppUpdateReceived,
)
TEMPLATE = "nuova_offerta"
TEMPLATE_COMPONENTS: list[dict[str, Any]] = [
    {
        "type": "BODY",
        "text": "Ciao {{1}}, per Natale {{2}} su tutto!",
        "example": {"body_text": [["Giulia", "-20%"]]},
    }
]


class GatedPacer:
    """Lets `allowed` sends through, then holds every campaign send until `release()`."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.gate = asyncio.Event()
        self.held = 0

    async def acquire(self, phone_number_id: str, recipient: str, priority: Priority) -> None:
        if self.allowed > 0:
            self.allowed -= 1
            return
        self.held += 1
        await self.gate.wait()

    def back_off(
        self, phone_number_id: str, recipient: str | None, retry_after_seconds: float
    ) -> None:
        return None

    def release(self) -> None:
        self.gate.set()


class Harness(KafkaHarness):
    """The shared harness plus the campaign tests' probes."""

    async def sent_count(self, customers: list[str]) -> int:
        return sum([len(await self.sent_to(c)) for c in customers])

    async def accepted(self, tenant_id: str) -> int:
        """Sends recorded as accepted (the outcome committed, not only the Graph call made)."""
        async with session_factory(self.engine)() as session:
            rows = await session.exec(
                select(OutboundMessageRecord).where(
                    OutboundMessageRecord.tenant_id == tenant_id,
                    OutboundMessageRecord.state == "accepted",
                )
            )
            return len(rows.all())

    async def outbound_states(self, customers: list[str]) -> dict[str, int]:
        """How many of these customers' outbound rows are in each state."""
        async with session_factory(self.engine)() as session:
            rows = await session.exec(
                select(OutboundMessageRecord).where(
                    col(OutboundMessageRecord.customer_id).in_(customers)
                )
            )
            return dict(Counter(row.state for row in rows.all()))


def campaign_body(
    events: EventFactory, customers: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Natale",
        "phone_number_id": events.phone_number_id,
        "template": {
            "name": TEMPLATE,
            "language": "it",
            "category": "marketing",
            "variables": [{"field": "name", "fallback": "cliente"}, {"value": "-20%"}],
            "placeholders": 2,
        },
        "segment": {"customers": customers} if customers is not None else {},
    }
    return body | extra


async def final(
    client: httpx.AsyncClient, events: EventFactory, campaign_id: str
) -> dict[str, Any]:
    """The campaign once completed."""

    async def probe() -> dict[str, Any] | None:
        response = await client.get(f"/v1/tenants/{events.tenant_id}/campaigns/{campaign_id}")
        found: dict[str, Any] = response.json()
        return found if found["state"] == "completed" else None

    return await eventually(probe)


@pytest.fixture
async def harness(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Harness]:
    """Unpaced unless a test passes a pacer; small batches, so a campaign takes several."""
    async with running_harness(
        Harness,
        postgres_url,
        kafka_bootstrap,
        new_topic,
        EVENTS,
        campaign_poll_seconds=0.1,
        campaign_batch_size=2,
        pacing_enabled=False,
    ) as found:
        await found.register_template(TEMPLATE, components=TEMPLATE_COMPONENTS)
        yield found


async def test_a_campaign_sends_once_to_each_opted_in_customer_and_skips_the_opted_out(
    harness: Harness,
) -> None:
    shop = harness.shop
    async with harness.notifier() as (_, client):
        opted_in = await harness.customers(shop, 4)
        [opted_out] = await harness.customers(shop, 1, words="STOP")
        response = await client.post(
            f"/v1/tenants/{shop.tenant_id}/campaigns",
            json=campaign_body(shop, [*opted_in, opted_out], send_now=True),
        )
        assert response.status_code == 201, response.text
        assert response.json()["audience"] == 4
        report = await final(client, shop, response.json()["id"])

        assert report["counts"]["sent"] == 4
        assert report["skipped"] == {"opted out": 1}
        assert report["total"] == 5
        for n, wa_id in enumerate(opted_in):
            [message] = await harness.sent_to(wa_id)
            template = message["body"]["template"]
            assert template["name"] == TEMPLATE
            values = [p["text"] for p in template["components"][0]["parameters"]]
            assert values == [f"Cliente {n}", "-20%"]
        assert await harness.sent_to(opted_out) == []

        # Delivered and read come from the status webhooks the notifier already follows.
        first, second = (
            (await harness.sent_to(opted_in[0]))[0],
            (await harness.sent_to(opted_in[1]))[0],
        )
        await harness.publish(shop.status(first["id"], "delivered", opted_in[0]))
        await harness.publish(shop.status(second["id"], "read", opted_in[1]))

        async def moved() -> dict[str, Any] | None:
            found = (
                await client.get(f"/v1/tenants/{shop.tenant_id}/campaigns/{report['id']}")
            ).json()
            counts = found["counts"]
            return found if (counts["delivered"], counts["read"]) == (1, 1) else None

        assert (await eventually(moved))["counts"]["sent"] == 2


async def test_the_whole_segment_is_the_tenants_opted_in_customers_only(harness: Harness) -> None:
    shop, rival = harness.shop, harness.rival
    async with harness.notifier() as (_, client):
        ours = await harness.customers(shop, 2)
        [out] = await harness.customers(shop, 1, words="STOP")
        [theirs] = await harness.customers(rival, 1)
        created = await client.post(
            f"/v1/tenants/{rival.tenant_id}/campaigns", json=campaign_body(rival, send_now=True)
        )
        assert created.status_code == 201, created.text
        report = await final(client, rival, created.json()["id"])

        assert (report["total"], report["counts"]["sent"]) == (1, 1)
        assert len(await harness.sent_to(theirs)) == 1
        for wa_id in (*ours, out):
            assert await harness.sent_to(wa_id) == []


async def test_another_tenant_neither_sees_nor_steers_a_campaign_nor_sends_on_its_number(
    harness: Harness,
) -> None:
    shop, rival = harness.shop, harness.rival
    async with harness.notifier() as (_, client):
        customers = await harness.customers(shop, 1)
        later = (utc_now() + timedelta(days=1)).isoformat()
        created = await client.post(
            f"/v1/tenants/{shop.tenant_id}/campaigns",
            json=campaign_body(shop, customers, send_at=later),
        )
        campaign = created.json()["id"]
        rival_admin = bearer(harness.signer.operator(rival.tenant_id, "admin"))

        for path in (f"campaigns/{campaign}", f"campaigns/{campaign}/pause"):
            method = client.get if path.endswith(campaign) else client.post
            # the rival's own path: the campaign is not theirs
            response = await method(f"/v1/tenants/{rival.tenant_id}/{path}", headers=rival_admin)
            assert response.status_code == 404, response.text
            # the shop's path with the rival's token: another tenant
            response = await method(f"/v1/tenants/{shop.tenant_id}/{path}", headers=rival_admin)
            assert response.status_code == 404, response.text
        listed = await client.get(f"/v1/tenants/{rival.tenant_id}/campaigns")
        assert listed.json()["items"] == []
        # the shop's number from the rival's tenant: refused
        await harness.customers(rival, 1)
        stolen = await client.post(
            f"/v1/tenants/{rival.tenant_id}/campaigns", json=campaign_body(shop, send_now=True)
        )
        assert stolen.status_code == 422
        assert "no channel" in stolen.json()["detail"]
        shown = await client.get(f"/v1/tenants/{shop.tenant_id}/campaigns/{campaign}")
        assert shown.json()["state"] == "scheduled"


async def test_pause_stops_the_campaign_and_resume_sends_the_rest_once(harness: Harness) -> None:
    shop = harness.shop
    pacer = GatedPacer(allowed=2)
    async with harness.notifier(pacer=pacer, campaign_batch_size=1, campaign_concurrency=1) as (
        app,
        client,
    ):
        customers = await harness.customers(shop, 5)
        created = await client.post(
            f"/v1/tenants/{shop.tenant_id}/campaigns",
            json=campaign_body(shop, customers, send_now=True),
        )
        campaign = created.json()["id"]
        base = f"/v1/tenants/{shop.tenant_id}/campaigns/{campaign}"

        async def sent_count() -> int:
            return await harness.sent_count(customers)

        await eventually(lambda: _true(pacer.held == 1))  # the third send is claimed, held
        paused = await client.post(f"{base}/pause")
        assert paused.json()["state"] == "paused"
        pacer.release()  # the send waiting at the pacer was claimed before the pause: it goes
        await eventually(lambda: _at_least(sent_count, 3))
        runner: CampaignRunner = app.state.campaign_runner
        assert await runner.run_once() is False  # a round over a paused campaign sends nothing
        assert await sent_count() == 3
        progress = (await client.get(base)).json()
        assert (progress["state"], progress["counts"]["queued"]) == ("paused", 2)

        # while paused, one of those still queued opts out: checked again at send time
        waiting = [c for c in customers if not await harness.sent_to(c)]
        await harness.publish(shop.inbound(waiting[0], "STOP"))
        await harness.consent_becomes(shop.tenant_id, waiting[0], "opted_out")

        assert (await client.post(f"{base}/resume")).json()["state"] == "running"
        again = await client.post(f"{base}/resume")
        assert again.status_code == 409
        assert again.json()["code"] == "invalid_transition"
        report = await final(client, shop, campaign)

    assert report["counts"]["sent"] == 4
    assert report["skipped"] == {"opted out": 1}
    assert [len(await harness.sent_to(c)) for c in customers].count(1) == 4
    assert await harness.sent_to(waiting[0]) == []


async def _true(condition: bool) -> bool:
    return condition


async def _at_least(count: Callable[[], Awaitable[int]], n: int) -> bool:
    return await count() >= n


async def test_a_restart_mid_campaign_sends_each_recipient_exactly_once(harness: Harness) -> None:
    """The first process stops while five sends wait at the pacer (recipients and outbound ids
    claimed, nothing sent): stopping gives their outbound claims back. A sixth recipient is left
    as if the process died during its Graph call (outbound row `sending`). The next process
    sends the waiting ones, never the sixth, and everyone else exactly once."""
    shop = harness.shop
    async with harness.notifier() as (_, client):
        customers = await harness.customers(shop, 8)
    pacer = GatedPacer(allowed=3)
    async with harness.notifier(pacer=pacer, campaign_stop_grace_seconds=0.1) as (_, client):
        created = await client.post(
            f"/v1/tenants/{shop.tenant_id}/campaigns",
            json=campaign_body(shop, customers, send_now=True),
        )
        campaign = uuid.UUID(created.json()["id"])

        async def sent_count() -> int:
            return await harness.sent_count(customers)

        await eventually(lambda: _at_least(lambda: harness.accepted(shop.tenant_id), 3))
        await eventually(lambda: _true(pacer.held == 5))
        # leaving stops the process with the five other sends held at the pacer
    assert await sent_count() == 3
    assert await harness.outbound_states(customers) == {"accepted": 3}
    in_flight = await _die_during_a_graph_call(harness, campaign)

    async with harness.notifier(campaign_claim_lease_seconds=0.01) as (_, client):
        report = await final(client, shop, str(campaign))

    per_customer = {c: len(await harness.sent_to(c)) for c in customers}
    assert per_customer[in_flight] == 0
    assert all(n == 1 for c, n in per_customer.items() if c != in_flight), per_customer
    assert report["counts"]["sent"] == 7
    assert report["counts"]["unknown"] == 1
    assert report["total"] == 8


async def _die_during_a_graph_call(harness: Harness, campaign: uuid.UUID) -> str:
    """Claim one queued recipient as a runner that then died with its send in flight."""
    async with session_factory(harness.engine)() as session, session.begin():
        [row] = await campaign_store.claim_batch(
            session, campaign, runner_id="dead", stale_before=utc_now(), limit=1
        )
        session.add(
            OutboundMessageRecord(
                outbound_id=row.outbound_id,
                tenant_id=row.tenant_id,
                customer_id=row.customer_id,
                phone_number_id=harness.shop.phone_number_id,
                event_id=uuid.uuid4(),
                content_kind="template",
                state="sending",
            )
        )
    return row.customer_id


async def test_bad_campaigns_are_refused_with_a_problem_and_nothing_is_sent(
    harness: Harness,
) -> None:
    shop = harness.shop
    async with harness.notifier() as (_, client):
        customers = await harness.customers(shop, 1)
        before = await harness.graph_attempts()
        url = f"/v1/tenants/{shop.tenant_id}/campaigns"
        missing = campaign_body(shop, customers, send_now=True)
        missing["template"]["variables"] = missing["template"]["variables"][:1]
        extra = campaign_body(shop, customers, send_now=True)
        extra["template"]["variables"].append({"value": "x"})
        past = campaign_body(
            shop, customers, send_at=(utc_now() - timedelta(minutes=1)).isoformat()
        )
        nobody = campaign_body(shop, None, send_now=True)
        nobody["segment"] = {"languages": ["ja"]}
        unknown_field = campaign_body(shop, customers)
        unknown_field["template"]["variables"][0] = {"field": "birthday"}
        cases = {
            "missing variables": missing,
            "extra variables": extra,
            "in the past": past,
            "segment is empty": nobody,
            "unknown customer field": unknown_field,
        }
        for words, body in cases.items():
            response = await client.post(url, json=body)
            assert response.status_code == 422, (words, response.text)
            assert words in response.json()["detail"]
        stray = await client.post(url, json=campaign_body(shop, customers) | {"audience": "all"})
        assert stray.status_code == 422

        draft = (await client.post(url, json=campaign_body(shop, customers))).json()
        assert draft["state"] == "draft"
        assert (await client.post(f"{url}/{draft['id']}/resume")).status_code == 409
        cancelled = await client.post(f"{url}/{draft['id']}/cancel")
        assert cancelled.json()["state"] == "cancelled"
        again = await client.post(f"{url}/{draft['id']}/cancel")
        assert again.status_code == 409
        assert "already cancelled" in again.json()["detail"]
        assert (await client.get(url)).json()["items"][0]["state"] == "cancelled"
        assert await harness.graph_attempts() == before
        assert await harness.sent_to(customers[0]) == []


def offer_event(tenant_id: str, offer_id: str, title: str) -> CatalogEntityChanged:
    return CatalogEntityChanged.new(
        tenant_id=tenant_id,
        source="catalog",
        data=CatalogChange(
            entity_kind="offer",
            entity_id=offer_id,
            op="upserted",
            snapshot=OfferSnapshot(title=title, discount_percent=Decimal("20")),
        ),
    )


async def test_a_new_offer_drafts_one_campaign_that_sends_only_once_the_owner_schedules_it(
    harness: Harness,
) -> None:
    shop, rival = harness.shop, harness.rival
    async with harness.notifier() as (_, client):
        customers = await harness.customers(shop, 2)
        await harness.customers(rival, 1)
        url = f"/v1/tenants/{shop.tenant_id}/campaigns"
        assert (await client.get(f"{url}/settings")).json()["draft_on_new_offer"] is False
        template = campaign_body(shop)["template"] | {
            "variables": [{"field": "name", "fallback": "cliente"}, {"field": "offer_title"}]
        }
        put = await client.put(
            f"{url}/settings",
            json={
                "draft_on_new_offer": True,
                "phone_number_id": shop.phone_number_id,
                "offer_template": template,
            },
        )
        assert put.status_code == 200, put.text
        offer = offer_event(shop.tenant_id, "offer-1", "Panettone -20%")
        await harness.publish(offer)
        await harness.publish(offer)  # a replay
        await harness.publish(offer_event(shop.tenant_id, "offer-1", "Panettone -25%"))  # an edit
        await harness.publish(offer_event(rival.tenant_id, "offer-9", "Not drafted"))  # setting off
        sentinel = offer_event(shop.tenant_id, "offer-1", "same key, handled after the others")
        await harness.publish(sentinel)

        async def drafted() -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = (await client.get(url)).json()["items"]
            return items or None

        [draft] = await eventually(drafted)
        assert (draft["state"], draft["origin"], draft["audience"]) == ("draft", "offer:offer-1", 2)
        assert draft["template"]["variables"][1] == {
            "value": "Panettone -20%",
            "field": None,
            "fallback": None,
        }
        rival_items = await client.get(f"/v1/tenants/{rival.tenant_id}/campaigns")
        assert rival_items.json()["items"] == []
        assert await harness.sent_count(customers) == 0

        scheduled = await client.post(f"{url}/{draft['id']}/schedule", json={})
        assert scheduled.json()["state"] == "scheduled"
        report = await final(client, shop, draft["id"])
    assert report["counts"]["sent"] == 2
    [message] = await harness.sent_to(customers[0])
    parameters = message["body"]["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Cliente 0", "Panettone -20%"]
