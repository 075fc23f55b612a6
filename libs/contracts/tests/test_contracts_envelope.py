"""Envelope behaviour: keys, headers, subjects, tolerant parsing, immutability, topics."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from bancone_contracts import (
    ALL_TOPICS,
    CATALOG,
    CHANNEL,
    EVENT_CLASSES,
    INBOUND,
    CatalogEntityChanged,
    ChannelChanged,
    ConversationChanged,
    DeliveryUpdated,
    EventDecodeError,
    InboundMessageReceived,
    Money,
    TopicSpec,
    conversation_key,
    dlq,
    entity_key,
    parse_event,
)
from bancone_contracts.events.catalog import CatalogChange, ProductSnapshot, StockLevel
from bancone_contracts.events.channel import ChannelChange
from bancone_contracts.events.conversation import ConversationChange
from bancone_contracts.events.delivery import DeliveryResult
from bancone_contracts.events.inbound import Customer, InboundMessage, TextContent

pytestmark = pytest.mark.unit

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
NOW = datetime(2025, 11, 26, 10, 0, tzinfo=UTC)


def _inbound(**envelope: Any) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id="t_acme",
        source="gateway",
        data=InboundMessage(
            message_id="wamid.1",
            phone_number_id="106540352242922",
            customer=Customer(wa_id="393331234567"),
            timestamp=NOW,
            content=TextContent(body="ciao"),
        ),
        **envelope,
    )


def _ciphertext() -> str:
    return base64.b64encode(b"\x00" * 12 + b"encrypted-token" + b"\x01" * 16).decode()


def test_new_derives_subject_key_and_headers() -> None:
    event = _inbound(traceparent=TRACEPARENT)
    assert event.subject == event.key() == "t_acme:393331234567"
    assert event.topic == INBOUND
    assert event.kafka_headers() == {
        "type": "inbound.message.received",
        "tenant_id": "t_acme",
        "traceparent": TRACEPARENT,
    }
    assert "traceparent" not in _inbound().kafka_headers()


def test_a_subject_that_disagrees_with_the_data_is_rejected() -> None:
    event = _inbound()
    with pytest.raises(ValidationError, match="subject must be"):
        InboundMessageReceived(**{**dict(event), "subject": "t_acme:someone-else"})


def test_times_are_aware_and_normalised_to_utc() -> None:
    rome = timezone(timedelta(hours=1))
    event = _inbound(time=datetime(2025, 11, 26, 11, 0, tzinfo=rome))
    assert event.time == NOW
    assert event.time.tzinfo == UTC
    assert json.loads(event.to_bytes())["time"] == "2025-11-26T10:00:00Z"
    with pytest.raises(ValidationError):
        _inbound(time=datetime(2025, 11, 26, 10, 0))  # naive


def test_events_are_immutable_and_reject_unknown_fields_when_built() -> None:
    event = _inbound()
    with pytest.raises(ValidationError):
        event.tenant_id = "t_other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        _inbound(surprise=1)


def test_parse_event_ignores_fields_added_by_newer_producers() -> None:
    event = _inbound()
    wire = json.loads(event.to_bytes())
    wire["added_later"] = "x"
    wire["data"]["content"]["added_later"] = "y"
    assert parse_event(INBOUND, json.dumps(wire).encode()) == event


def test_parse_event_rejects_wrong_topic_and_garbage_but_accepts_the_dlq() -> None:
    event = _inbound()
    raw = event.to_bytes()
    assert parse_event(dlq(INBOUND), raw) == event
    with pytest.raises(EventDecodeError, match="does not belong"):
        parse_event(CATALOG, raw)
    with pytest.raises(EventDecodeError):
        parse_event(None, b'{"type": "no.such.event"}')
    with pytest.raises(EventDecodeError):
        parse_event(None, b"not json")


def test_catalog_upsert_carries_decimal_prices_as_strings() -> None:
    event = CatalogEntityChanged.new(
        tenant_id="t_acme",
        source="catalog",
        data=CatalogChange(
            entity_kind="product",
            entity_id="prod_42",
            op="upserted",
            snapshot=ProductSnapshot(
                name="Espresso", price=Money(amount=Decimal("18.50"), currency="EUR")
            ),
        ),
    )
    assert event.key() == entity_key("t_acme", "prod_42")
    wire = json.loads(event.to_bytes())
    assert wire["data"]["snapshot"]["price"] == {"amount": "18.50", "currency": "EUR"}
    decoded = parse_event(CATALOG, event.to_bytes())
    assert isinstance(decoded, CatalogEntityChanged)
    assert isinstance(decoded.data.snapshot, ProductSnapshot)
    assert decoded.data.snapshot.price == Money(amount=Decimal("18.50"), currency="EUR")


@pytest.mark.parametrize(
    "change",
    [
        {"entity_kind": "product", "entity_id": "p", "op": "upserted"},
        {
            "entity_kind": "faq",
            "entity_id": "p",
            "op": "upserted",
            "snapshot": ProductSnapshot(name="x"),
        },
        {
            "entity_kind": "product",
            "entity_id": "p",
            "op": "deleted",
            "snapshot": ProductSnapshot(name="x"),
        },
        {"entity_kind": "product", "entity_id": "p", "op": "stock_changed"},
        {
            "entity_kind": "faq",
            "entity_id": "p",
            "op": "stock_changed",
            "stock": StockLevel(quantity=1, in_stock=True),
        },
    ],
)
def test_catalog_change_payload_must_fit_its_op(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CatalogChange(**change)


def test_channel_token_travels_only_as_an_aead_blob() -> None:
    event = ChannelChanged.new(
        tenant_id="t_acme",
        source="gateway",
        data=ChannelChange(
            change="registered",
            phone_number_id="106540352242922",
            access_token_ciphertext=_ciphertext(),
            key_id="k1",
        ),
    )
    assert event.key() == "106540352242922"
    assert event.topic == CHANNEL
    assert parse_event(CHANNEL, event.to_bytes()) == event
    for bad in ("EAAG-cleartext-token!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValidationError):
            ChannelChange(
                change="rotated", phone_number_id="1", access_token_ciphertext=bad, key_id="k1"
            )
    with pytest.raises(ValidationError):
        ChannelChange(change="registered", phone_number_id="1")
    assert ChannelChange(change="disabled", phone_number_id="1").access_token_ciphertext is None


def test_delivery_and_conversation_events_are_keyed_by_conversation() -> None:
    delivery = DeliveryUpdated.new(
        tenant_id="t_acme",
        source="notifier",
        data=DeliveryResult(
            outbound_id=uuid4(), customer_id="393331234567", status="failed", error_code=131047
        ),
    )
    conversation = ConversationChanged.new(
        tenant_id="t_acme",
        source="agent",
        data=ConversationChange(
            conversation_id="c1",
            customer_id="393331234567",
            transition="escalated",
            reason="low_confidence",
            actor="ai",
        ),
    )
    assert delivery.key() == conversation.key() == conversation_key("t_acme", "393331234567")
    assert parse_event(None, delivery.to_bytes()) == delivery
    assert parse_event(None, conversation.to_bytes()) == conversation


def test_topics_include_a_dlq_for_each_and_only_the_channel_topic_is_compacted() -> None:
    names = [spec.name for spec in ALL_TOPICS]
    assert {cls.topic for cls in EVENT_CLASSES} | {dlq(cls.topic) for cls in EVENT_CLASSES} == set(
        names
    )
    assert [s.name for s in ALL_TOPICS if s.compacted] == [CHANNEL]
    assert all(isinstance(s, TopicSpec) and s.partitions >= 1 for s in ALL_TOPICS)
    with pytest.raises(ValueError, match="already"):
        dlq(dlq(INBOUND))


def test_keys_refuse_empty_parts_and_ambiguous_tenants() -> None:
    with pytest.raises(ValueError, match="empty"):
        conversation_key("t", "")
    with pytest.raises(ValueError, match="':'"):
        conversation_key("a:b", "c")
