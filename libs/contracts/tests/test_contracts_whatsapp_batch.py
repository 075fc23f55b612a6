"""One bad message or status never sinks its batch: it is set aside with the reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bancone_contracts import InboundMessageReceived, WhatsAppStatusUpdated
from bancone_contracts.whatsapp import normalise_webhook, parse_webhook, unix_time

pytestmark = pytest.mark.unit

TENANTS = {"PN-A": "t_a", "PN-B": "t_b"}


def text(wamid: str, sender: str = "393331234567", **extra: Any) -> dict[str, Any]:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": "1764151200",
        "type": "text",
        "text": {"body": "Ciao"},
        **extra,
    }


def status(wamid: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": "delivered",
        "timestamp": "1764151200",
        "recipient_id": "393331234567",
        **extra,
    }


def value(pnid: str, messages: list[Any], statuses: list[Any] | None = None) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390200000000", "phone_number_id": pnid},
        "contacts": [{"profile": {"name": "Giulia"}, "wa_id": "393331234567"}],
        "messages": messages,
        "statuses": statuses or [],
    }


def body(*entries: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": f"WABA{i}", "changes": [{"field": "messages", "value": v} for v in values]}
                for i, values in enumerate(entries)
            ],
        }
    ).encode()


BAD_MESSAGES: dict[str, dict[str, Any]] = {
    "reaction without message_id": {
        "from": "393331234567",
        "id": "wamid.BAD-REACTION",
        "timestamp": "1764151200",
        "type": "reaction",
        "reaction": {"emoji": "\U0001f44d"},
    },
    "latitude null": {
        "from": "393331234567",
        "id": "wamid.BAD-LOCATION",
        "timestamp": "1764151200",
        "type": "location",
        "location": {"latitude": None, "longitude": 9.19},
    },
    "order item without item_price": {
        "from": "393331234567",
        "id": "wamid.BAD-ORDER",
        "timestamp": "1764151200",
        "type": "order",
        "order": {
            "catalog_id": "C1",
            "product_items": [{"product_retailer_id": "SKU", "quantity": 1, "currency": "EUR"}],
        },
    },
    "sender without wa_id or user_id": {
        "id": "wamid.BAD-SENDER",
        "timestamp": "1764151200",
        "type": "text",
        "text": {"body": "chi sono?"},
    },
    "huge timestamp": text("wamid.BAD-HUGE", timestamp="99999999999999999999999"),
    "non-numeric timestamp": text("wamid.BAD-NAN", timestamp="yesterday"),
    "not an object": "garbage",  # type: ignore[dict-item]
}


def test_a_mixed_batch_publishes_every_good_item_and_sets_each_bad_one_aside() -> None:
    bad = list(BAD_MESSAGES.values())
    payload = parse_webhook(
        body(
            [
                value("PN-A", [text("wamid.A1"), *bad[:4]], [status("wamid.S1")]),
                value("PN-B", [text("wamid.B1", sender="+39 347 111 2222")]),
            ],
            [
                value(
                    "PN-A",
                    [*bad[4:], text("wamid.A2")],
                    [status("wamid.S2", timestamp="1e99"), status("wamid.S3")],
                )
            ],
        )
    )

    result = normalise_webhook(payload, TENANTS.get)

    messages = [e for e in result.events if isinstance(e, InboundMessageReceived)]
    statuses = [e for e in result.events if isinstance(e, WhatsAppStatusUpdated)]
    assert [e.data.message_id for e in messages] == ["wamid.A1", "wamid.B1", "wamid.A2"]
    assert [e.tenant_id for e in messages] == ["t_a", "t_b", "t_a"]
    assert [e.data.wamid for e in statuses] == ["wamid.S1", "wamid.S3"]
    assert [(r.kind, r.tenant_id, r.phone_number_id) for r in result.rejected] == [
        ("message", "t_a", "PN-A")
    ] * len(bad) + [("status", "t_a", "PN-A")]
    assert [r.raw for r in result.rejected] == [*bad, status("wamid.S2", timestamp="1e99")]
    assert all(r.error for r in result.rejected)
    assert "reaction.message_id" in result.rejected[0].error
    assert "Giulia" not in " ".join(r.error for r in result.rejected), "no values in errors"


def test_a_change_for_an_unknown_number_is_skipped_not_rejected() -> None:
    payload = parse_webhook(body([value("PN-UNKNOWN", [BAD_MESSAGES["latitude null"]])]))
    result = normalise_webhook(payload, TENANTS.get)
    assert result.events == []
    assert result.rejected == []


def test_a_change_whose_value_is_broken_is_one_rejected_item() -> None:
    broken = {"metadata": {"phone_number_id": "PN-A"}, "messages": "not a list"}
    payload = parse_webhook(body([broken, value("PN-B", [text("wamid.B2")])]))
    result = normalise_webhook(payload, TENANTS.get)
    assert [e.tenant_id for e in result.events] == ["t_b"]
    assert [(r.kind, r.raw) for r in result.rejected] == [("change", broken)]


@pytest.mark.parametrize("given", ["99999999999999999999999", "-99999999999999", "soon", "1.5"])
def test_an_unusable_timestamp_is_a_value_error(given: str) -> None:
    with pytest.raises(ValueError, match="not a unix timestamp"):
        unix_time(given)


@pytest.mark.parametrize("wa_id", ["393331234567", "+393331234567", "+39 333 123 4567"])
def test_a_wa_id_with_or_without_plus_is_one_customer(wa_id: str) -> None:
    payload = parse_webhook(body([value("PN-A", [text("wamid.P1", sender=wa_id)])]))
    (event,) = normalise_webhook(payload, TENANTS.get).events
    assert isinstance(event, InboundMessageReceived)
    assert event.data.customer.wa_id == "393331234567"
    assert event.data.customer.profile_name == "Giulia"
    assert event.key() == "t_a:393331234567"


def test_a_status_recipient_with_plus_is_the_same_customer() -> None:
    payload = parse_webhook(
        body([value("PN-A", [], [status("wamid.S9", recipient_id="+393331234567")])])
    )
    (event,) = normalise_webhook(payload, TENANTS.get).events
    assert event.key() == "t_a:393331234567"
