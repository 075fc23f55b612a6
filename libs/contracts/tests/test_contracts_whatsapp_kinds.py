"""Kinds that carry meaning survive normalisation: edits, revokes, unsupported types, and the
fields Meta adds around messages and statuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bancone_contracts import InboundMessageReceived, WhatsAppStatusUpdated, parse_event
from bancone_contracts.events.inbound import (
    ContactsContent,
    MediaContent,
    TextContent,
    UnsupportedContent,
)
from bancone_contracts.topics import INBOUND, STATUS
from bancone_contracts.whatsapp import normalise_webhook, parse_webhook

pytestmark = pytest.mark.unit


def one(item: dict[str, Any], *, kind: str = "messages") -> Any:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390200000000", "phone_number_id": "PN"},
        "contacts": [{"profile": {"name": "Giulia"}, "wa_id": "393331234567"}],
        kind: [item],
    }
    raw = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
        }
    )
    result = normalise_webhook(parse_webhook(raw), "t_a")
    assert result.rejected == [], result.rejected
    (event,) = result.events
    topic = INBOUND if isinstance(event, InboundMessageReceived) else STATUS
    assert parse_event(topic, event.to_bytes()) == event
    return event


def message(kind: str, **body: Any) -> dict[str, Any]:
    return {
        "from": "393331234567",
        "id": f"wamid.{kind}",
        "timestamp": "1764151200",
        "type": kind,
        **body,
    }


def test_an_edit_carries_the_corrected_text_and_the_wamid_it_replaces() -> None:
    event = one(
        message(
            "edit",
            edit={
                "original_message_id": "wamid.ORIGINAL",
                "message": {"type": "text", "text": {"body": "Due bottiglie, non tre"}},
            },
        )
    )
    assert event.data.kind == "edit"
    assert event.data.edit.original_message_id == "wamid.ORIGINAL"
    assert event.data.content == TextContent(body="Due bottiglie, non tre")


def test_a_revoke_names_the_deleted_message() -> None:
    event = one(message("revoke", revoke={"original_message_id": "wamid.GONE"}))
    assert event.data.kind == "revoke"
    assert event.data.revoke.original_message_id == "wamid.GONE"
    assert event.data.content == UnsupportedContent(original_type="revoke")


def test_unsupported_keeps_what_it_really_was() -> None:
    event = one(message("unsupported", unsupported={"type": "poll"}))
    assert event.data.kind == "message"
    assert event.data.content.unsupported_type == "poll"


def test_referral_welcome_message_identity_and_media_url_are_kept() -> None:
    event = one(
        message(
            "image",
            image={"id": "M1", "mime_type": "image/jpeg", "url": "https://lookaside.example/m1"},
            referral={"source_type": "ad", "welcome_message": {"text": "Ciao! Come aiutarti?"}},
            identity={"acknowledged": True, "created_timestamp": "1764150000", "hash": "h"},
        )
    )
    assert isinstance(event.data.content, MediaContent)
    assert event.data.content.url == "https://lookaside.example/m1"
    assert event.data.referral.welcome_message.text == "Ciao! Come aiutarti?"
    assert event.data.identity.acknowledged is True
    assert event.data.identity.created == datetime.fromtimestamp(1764150000, UTC)


def test_a_shared_contact_keeps_every_field() -> None:
    card = {
        "name": {
            "formatted_name": "Dr. Luca M. Verdi",
            "first_name": "Luca",
            "middle_name": "M.",
            "last_name": "Verdi",
            "prefix": "Dr.",
            "suffix": "Jr.",
        },
        "phones": [{"phone": "+39 345 678 9012", "type": "CELL", "wa_id": "393456789012"}],
        "org": {"company": "Torrefazione Verdi", "department": "Vendite", "title": "Titolare"},
        "urls": [{"url": "https://verdi.example", "type": "WORK"}],
        "addresses": [
            {
                "street": "Via Roma 1",
                "city": "Milano",
                "zip": "20100",
                "country": "Italia",
                "country_code": "IT",
                "type": "WORK",
            }
        ],
        "birthday": "1980-05-17",
    }
    event = one(message("contacts", contacts=[card]))
    assert isinstance(event.data.content, ContactsContent)
    (shared,) = event.data.content.contacts
    assert (shared.name.middle_name, shared.name.prefix, shared.name.suffix) == ("M.", "Dr.", "Jr.")
    assert (shared.organization, shared.department, shared.title) == (
        "Torrefazione Verdi",
        "Vendite",
        "Titolare",
    )
    assert shared.url_entries[0].type == "WORK"
    assert shared.urls == ("https://verdi.example",)
    assert shared.addresses[0].city == "Milano"
    assert shared.birthday == "1980-05-17"


def test_a_status_keeps_biz_opaque_callback_data() -> None:
    event = one(
        {
            "id": "wamid.S",
            "status": "read",
            "timestamp": "1764151200",
            "recipient_id": "393331234567",
            "biz_opaque_callback_data": "campaign-42",
        },
        kind="statuses",
    )
    assert isinstance(event, WhatsAppStatusUpdated)
    assert event.data.biz_opaque_callback_data == "campaign-42"
