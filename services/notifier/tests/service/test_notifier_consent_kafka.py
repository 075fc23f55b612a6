"""Consent ledger and 24-hour window with the notifier as it runs: real Kafka topics, real
PostgreSQL, the WhatsApp sandbox as Graph API. Marketing to an opted-out customer and
free-form outside the window are published straight onto the outbound topic (around any
campaign builder) and must be refused by the notifier itself, without a Graph call."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from bancone_contracts.common import utc_now
from bancone_contracts.envelope import Envelope
from bancone_contracts.events import parse_event
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import (
    OutboundMessageRequested,
    OutboundTemplate,
    TemplateCategory,
)
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived
from bancone_contracts.topics import DELIVERY, OUTBOUND
from bancone_kit.db import session_factory
from bancone_kit.messaging.tables import OutboxRecord
from bancone_kit.testing.polling import eventually
from bancone_notifier.adapters.tables import (
    ConsentRecord,
    CustomerWindowRecord,
    OutboundMessageRecord,
)
from services.notifier.tests.support import EventFactory, new_wa_id
from services.notifier.tests.support.kafka import KafkaHarness, running_harness

pytestmark = pytest.mark.service

EVENTS = (
    ChannelChanged,
    OutboundMessageRequested,
    WhatsAppStatusUpdated,
    InboundMessageReceived,
    WhatsAppUpdateReceived,
)


class Notifier(KafkaHarness):
    """The shared harness plus the consent tests' probes; the notifier runs throughout."""

    async def settled(self, outbound_id: uuid.UUID, *states: str) -> OutboundMessageRecord:
        async def probe() -> OutboundMessageRecord | None:
            async with session_factory(self.engine)() as session:
                row = await session.get(OutboundMessageRecord, outbound_id)
            return row if row is not None and row.state in states else None

        return await eventually(probe)

    async def ledger(self, tenant_id: str, customer_id: str) -> list[ConsentRecord]:
        async with session_factory(self.engine)() as session:
            statement = (
                select(ConsentRecord)
                .where(
                    ConsentRecord.tenant_id == tenant_id, ConsentRecord.customer_id == customer_id
                )
                .order_by(col(ConsentRecord.occurred_at))
            )
            return list((await session.exec(statement)).all())

    async def window_recorded(self, events: EventFactory, customer_id: str) -> CustomerWindowRecord:
        key = (events.tenant_id, events.phone_number_id, customer_id)

        async def probe() -> CustomerWindowRecord | None:
            async with session_factory(self.engine)() as session:
                return await session.get(CustomerWindowRecord, key)

        return await eventually(probe)

    async def relayed(self, topic: str, wa_id: str | None = None) -> list[Envelope[Any]]:
        """Events (about `wa_id`) the outbox relay has published on the real `topic`."""
        async with session_factory(self.engine)() as session:
            statement = (
                select(OutboxRecord)
                .where(OutboxRecord.topic == topic, sa.column("sent_at").is_not(None))
                .order_by(sa.column("seq"))
            )
            if wa_id is not None:
                statement = statement.where(
                    col(OutboxRecord.key).endswith(f":{wa_id}", autoescape=True)
                )
            rows = (await session.exec(statement)).all()
        return [parse_event(row.topic, row.payload) for row in rows]

    async def deliveries(self, outbound_id: uuid.UUID) -> list[DeliveryResult]:
        found = []
        for event in await self.relayed(DELIVERY):
            if isinstance(event, DeliveryUpdated) and event.data.outbound_id == outbound_id:
                found.append(event.data)
        return found


def template(name: str, category: TemplateCategory | None) -> OutboundTemplate:
    return OutboundTemplate(name=name, language_code="it", category=category)


@pytest.fixture
async def notifier(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Notifier]:
    async with (
        running_harness(Notifier, postgres_url, kafka_bootstrap, new_topic, EVENTS) as harness,
        harness.notifier(),
    ):
        yield harness


async def opted_out(notifier: Notifier, wa_id: str, words: str = "STOP") -> None:
    await notifier.publish(notifier.shop.inbound(wa_id, words))
    await notifier.consent_becomes(notifier.shop.tenant_id, wa_id, "opted_out")


async def test_an_opt_out_keyword_is_recorded_with_its_proof_and_confirmed_in_italian(
    notifier: Notifier,
) -> None:
    customer = new_wa_id()
    inbound = notifier.shop.inbound(customer, "Basta messaggi, per favore")

    await notifier.publish(inbound)

    await notifier.consent_becomes(notifier.shop.tenant_id, customer, "opted_out")
    [entry] = await notifier.ledger(notifier.shop.tenant_id, customer)
    assert (entry.action, entry.source, entry.event_id) == ("opt_out", "keyword", inbound.id)
    assert entry.proof == f"{inbound.data.message_id}: Basta messaggi, per favore"
    [confirmation] = await eventually(lambda: notifier.relayed(OUTBOUND, customer))
    assert isinstance(confirmation, OutboundMessageRequested)
    assert confirmation.data.phone_number_id == notifier.shop.phone_number_id
    # The relay wrote it to the real outbound topic; hand it to this test's notifier.
    await notifier.publish(confirmation)
    await notifier.settled(confirmation.data.outbound_id, "accepted")
    [sent] = await notifier.sent_to(customer)
    assert "ISCRIVIMI" in sent["body"]["text"]["body"]


async def test_a_keyword_inside_a_normal_sentence_opts_nobody_out(notifier: Notifier) -> None:
    customer = new_wa_id()

    await notifier.publish(notifier.shop.inbound(customer, "non basta il vino, ne voglio due"))

    await notifier.window_recorded(notifier.shop, customer)  # same transaction as the keyword check
    assert await notifier.consent(notifier.shop.tenant_id, customer) is None
    assert await notifier.relayed(OUTBOUND, customer) == []


async def test_the_same_keyword_event_delivered_twice_is_one_ledger_entry_and_one_confirmation(
    notifier: Notifier,
) -> None:
    customer = new_wa_id()
    inbound = notifier.shop.inbound(customer, "unsubscribe")
    sentinel = notifier.shop.inbound(customer, "start")  # same key: handled after the duplicate

    await notifier.publish(inbound)
    await notifier.publish(inbound)
    await notifier.publish(sentinel)

    await notifier.consent_becomes(notifier.shop.tenant_id, customer, "opted_in")
    assert [e.action for e in await notifier.ledger(notifier.shop.tenant_id, customer)] == [
        "opt_out",
        "opt_in",
    ]
    confirmations = await eventually(lambda: _at_least(2, notifier.relayed(OUTBOUND, customer)))
    assert len(confirmations) == 2


async def _at_least(
    count: int, found: Awaitable[list[Envelope[Any]]]
) -> list[Envelope[Any]] | None:
    items = await found
    return items if len(items) >= count else None


@pytest.mark.parametrize("category", ["marketing", None])
async def test_a_marketing_template_published_straight_to_an_opted_out_customer_is_refused(
    notifier: Notifier, category: TemplateCategory | None
) -> None:
    customer = new_wa_id()
    await notifier.register_template("new_offer")
    await opted_out(notifier, customer)
    attempts_before = await notifier.graph_attempts()
    outbound = notifier.shop.outbound(customer, template("new_offer", category))

    await notifier.publish(outbound)

    row = await notifier.settled(outbound.data.outbound_id, "failed")
    assert (row.error_code, row.error_title, row.retryable) == (131050, "opted out", False)
    [failed] = await eventually(lambda: notifier.deliveries(outbound.data.outbound_id))
    assert (failed.status, failed.error_code, failed.error_title) == ("failed", 131050, "opted out")
    assert await notifier.graph_attempts() == attempts_before, "no Graph API call"
    assert await notifier.sent_to(customer) == []


async def test_a_utility_template_still_reaches_an_opted_out_customer(notifier: Notifier) -> None:
    customer = new_wa_id()
    await notifier.register_template("order_ready", category="UTILITY")
    await opted_out(notifier, customer)
    outbound = notifier.shop.outbound(customer, template("order_ready", "utility"))

    await notifier.publish(outbound)

    await notifier.settled(outbound.data.outbound_id, "accepted")
    [sent] = await notifier.sent_to(customer)
    assert sent["body"]["template"]["name"] == "order_ready"


async def test_free_form_more_than_24_hours_after_the_customer_wrote_fails_without_a_graph_call(
    notifier: Notifier,
) -> None:
    customer = new_wa_id()
    await notifier.publish(
        notifier.shop.inbound(customer, "Ciao", at=utc_now() - timedelta(hours=24, minutes=1))
    )
    await notifier.window_recorded(notifier.shop, customer)
    attempts_before = await notifier.graph_attempts()
    outbound = notifier.shop.outbound(customer)

    await notifier.publish(outbound)

    row = await notifier.settled(outbound.data.outbound_id, "failed")
    assert (row.error_code, row.error_title) == (
        131047,
        "outside the 24-hour window, a template is needed",
    )
    [failed] = await eventually(lambda: notifier.deliveries(outbound.data.outbound_id))
    assert (failed.status, failed.error_code, failed.retryable) == ("failed", 131047, False)
    assert failed.error_title == "outside the 24-hour window, a template is needed"
    assert await notifier.graph_attempts() == attempts_before
    assert await notifier.sent_to(customer) == []


async def test_free_form_to_a_customer_who_never_wrote_fails_with_131047(
    notifier: Notifier,
) -> None:
    customer = new_wa_id()
    outbound = notifier.shop.outbound(customer, operator_id="op-1")

    await notifier.publish(outbound)

    row = await notifier.settled(outbound.data.outbound_id, "failed")
    assert row.error_code == 131047
    assert await notifier.sent_to(customer) == []


async def test_a_reply_inside_the_window_is_sent_even_when_published_before_its_inbound(
    notifier: Notifier,
) -> None:
    customer = new_wa_id()
    inbound = notifier.shop.inbound(customer, "Avete il Barbera?")
    reply = notifier.shop.outbound(customer, reply_to=inbound.data.message_id)
    # Meta's side of the same rule: the sandbox refuses free-form without this customer message.
    (await notifier.sandbox.put("/sandbox/rules", json={"enforce_window": True})).raise_for_status()
    window = {"phone_number_id": notifier.shop.phone_number_id, "wa_id": customer}
    (await notifier.sandbox.post("/sandbox/inbound", json=window)).raise_for_status()

    await notifier.publish(reply)  # the agent's reply overtakes the notifier's inbound consumer
    await notifier.publish(inbound)

    row = await notifier.settled(reply.data.outbound_id, "accepted", "failed")
    assert row.state == "accepted"
    assert len(await notifier.sent_to(customer)) == 1
    assert (await notifier.sandbox.get("/sandbox/compliance")).json()["refusals"] == []


async def test_whatsapp_user_preferences_stop_opts_out_and_resume_opts_back_in(
    notifier: Notifier,
) -> None:
    customer = new_wa_id()
    tenant = notifier.shop.tenant_id
    await notifier.register_template("weekly_offer")

    await notifier.publish(notifier.shop.marketing_preference(customer, "stop"))
    await notifier.consent_becomes(tenant, customer, "opted_out")
    refused = notifier.shop.outbound(customer, template("weekly_offer", "marketing"))
    await notifier.publish(refused)
    assert (await notifier.settled(refused.data.outbound_id, "failed")).error_code == 131050

    await notifier.publish(notifier.shop.marketing_preference(customer, "resume"))
    await notifier.consent_becomes(tenant, customer, "opted_in")
    allowed = notifier.shop.outbound(customer, template("weekly_offer", "marketing"))
    await notifier.publish(allowed)
    await notifier.settled(allowed.data.outbound_id, "accepted")

    ledger = await notifier.ledger(tenant, customer)
    assert [(e.action, e.source) for e in ledger] == [
        ("opt_out", "whatsapp_preferences"),
        ("opt_in", "whatsapp_preferences"),
    ]
    assert ledger[0].proof == "user_preferences marketing_messages=stop"


async def test_opting_out_at_one_tenant_does_not_opt_out_at_another(notifier: Notifier) -> None:
    customer = new_wa_id()
    await notifier.register_template("new_offer_b")
    await opted_out(notifier, customer)
    to_rival = notifier.rival.outbound(customer, template("new_offer_b", "marketing"))

    await notifier.publish(to_rival)

    await notifier.settled(to_rival.data.outbound_id, "accepted")
    assert await notifier.consent(notifier.rival.tenant_id, customer) is None
    [sent] = await notifier.sent_to(customer, notifier.rival.phone_number_id)
    assert sent["body"]["template"]["name"] == "new_offer_b"


async def test_the_window_of_one_tenant_does_not_open_another_tenants(notifier: Notifier) -> None:
    customer = new_wa_id()
    await notifier.publish(notifier.shop.inbound(customer, "Ciao"))
    await notifier.window_recorded(notifier.shop, customer)
    to_rival = notifier.rival.outbound(customer)

    await notifier.publish(to_rival)

    assert (await notifier.settled(to_rival.data.outbound_id, "failed")).error_code == 131047
