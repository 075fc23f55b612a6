"""Real-shaped WhatsApp webhook payloads survive parse → normalise → JSON → parse_event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bancone_contracts import (
    InboundMessageReceived,
    WhatsAppStatusUpdated,
    conversation_key,
    parse_event,
)
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    ContactsContent,
    FlowReplyContent,
    ListReplyContent,
    LocationContent,
    MediaContent,
    OrderContent,
    ReactionContent,
    SystemContent,
    TemplateButtonContent,
    TextContent,
    UnsupportedContent,
)
from bancone_contracts.whatsapp import (
    WhatsAppEvent,
    message_event_id,
    normalise,
    parse_webhook,
    phone_number_ids,
    status_event_id,
)

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures"
TENANT = "t_acme"
PHONE_NUMBER_ID = "106540352242922"


def _raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def _events(name: str) -> list[WhatsAppEvent]:
    return normalise(parse_webhook(_raw(name)), TENANT)


def _only_message(name: str) -> InboundMessageReceived:
    events = _events(name)
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, InboundMessageReceived)
    return event


def _messages(name: str) -> list[InboundMessageReceived]:
    events = _events(name)
    messages = [e for e in events if isinstance(e, InboundMessageReceived)]
    assert len(messages) == len(events)
    return messages


def _statuses(name: str) -> list[WhatsAppStatusUpdated]:
    events = _events(name)
    statuses = [e for e in events if isinstance(e, WhatsAppStatusUpdated)]
    assert len(statuses) == len(events)
    return statuses


def _raw_items(raw: bytes, kind: str) -> list[dict[str, Any]]:
    """Messages or statuses counted straight from the JSON, independent of our models."""
    body = json.loads(raw)
    return [
        item
        for entry in body["entry"]
        for change in entry["changes"]
        if change["field"] == "messages"
        for item in change["value"].get(kind, [])
    ]


ALL_FIXTURES = sorted(path.stem for path in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_event_round_trips_through_kafka_bytes(name: str) -> None:
    events = _events(name)
    assert events
    for event in events:
        decoded = parse_event(event.topic, event.model_dump_json().encode())
        assert decoded == event
        assert type(decoded) is type(event)


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_message_in_a_payload_becomes_an_event(name: str) -> None:
    raw = _raw(name)
    events = _events(name)
    inbound = [e.data.message_id for e in events if isinstance(e, InboundMessageReceived)]
    assert inbound == [m["id"] for m in _raw_items(raw, "messages")]


def test_text_message_keeps_non_ascii_body_and_utc_timestamp() -> None:
    event = _only_message("text")
    assert event.data.content == TextContent(body="Buongiorno! Avete il caffè in grani da 1 kg?")
    assert event.data.timestamp == datetime(2025, 11, 26, 10, 0, tzinfo=UTC)
    assert event.data.customer.profile_name == "Giulia Rossi"
    assert event.data.phone_number_id == PHONE_NUMBER_ID
    assert event.data.waba_id == "102290129340398"
    assert event.subject == conversation_key(TENANT, "393331234567")
    assert event.key() == "t_acme:393331234567"
    assert event.source == "gateway"


def test_image_with_caption_becomes_media_content() -> None:
    content = _only_message("image_caption").data.content
    assert isinstance(content, MediaContent)
    assert content.media_type == "image"
    assert content.caption == "Questo è quello che ho comprato"
    assert content.media_id == "1274852016742098"
    assert content.mime_type == "image/jpeg"


def test_voice_notes_documents_stickers_and_videos_keep_their_details() -> None:
    contents = [e.data.content for e in _messages("media_kinds")]
    assert all(isinstance(c, MediaContent) for c in contents)
    audio, document, sticker, video = contents
    assert isinstance(audio, MediaContent)
    assert audio.voice
    assert audio.media_type == "audio"
    assert isinstance(document, MediaContent)
    assert document.filename == "fattura-2025-118.pdf"
    assert isinstance(sticker, MediaContent)
    assert sticker.animated
    assert isinstance(video, MediaContent)
    assert video.caption == "Il macinino fa questo rumore"


def test_interactive_button_reply_carries_our_button_id_and_the_replied_message() -> None:
    event = _only_message("interactive_button_reply")
    assert event.data.content == ButtonReplyContent(id="order:confirm", title="Confermo")
    assert event.data.context is not None
    assert event.data.context.reply_to_wamid == (
        "wamid.HBgMMzkzMzMxMjM0NTY3FQIAERgSOUQ5RkE0QjZFNjg1RjRFQjAA"
    )


def test_interactive_list_reply_carries_row_id_and_description() -> None:
    content = _only_message("interactive_list_reply").data.content
    assert content == ListReplyContent(
        id="product:42", title="Espresso 1 kg", description="Miscela 80% arabica"
    )


def test_flow_reply_keeps_response_json_as_a_string() -> None:
    content = _only_message("interactive_flow_reply").data.content
    assert isinstance(content, FlowReplyContent)
    assert json.loads(content.response_json)["flow_token"] == "booking-7"


def test_order_prices_are_exact_decimals_and_travel_as_strings() -> None:
    event = _only_message("order")
    content = event.data.content
    assert isinstance(content, OrderContent)
    assert [(i.product_retailer_id, i.quantity, i.item_price) for i in content.items] == [
        ("SKU-ESPRESSO-1KG", 2, Decimal("18.5")),
        ("SKU-MOKA-3", 1, Decimal("29.99")),
    ]
    wire = json.loads(event.model_dump_json())
    assert wire["data"]["content"]["items"][1]["item_price"] == "29.99"


def test_reaction_with_emoji_and_removed_reaction() -> None:
    added = _only_message("reaction").data.content
    removed = _only_message("reaction_removed").data.content
    assert isinstance(added, ReactionContent)
    assert added.emoji == "👍"
    assert not added.removed
    assert isinstance(removed, ReactionContent)
    assert removed.emoji is None
    assert removed.removed


def test_location_and_contacts() -> None:
    location = _only_message("location").data.content
    assert isinstance(location, LocationContent)
    assert (location.latitude, location.longitude) == (45.4642035, 9.189982)
    assert location.name == "Duomo di Milano"
    contacts = _only_message("contacts").data.content
    assert isinstance(contacts, ContactsContent)
    card = contacts.contacts[0]
    assert card.name.formatted_name == "Luca Verdi"
    assert card.phones[0].wa_id == "393456789012"
    assert card.emails[0].email == "luca.verdi@example.it"
    assert card.organization == "Torrefazione Verdi"


def test_template_quick_reply_tap() -> None:
    content = _only_message("template_button").data.content
    assert content == TemplateButtonContent(payload="STOP_PROMOTIONS", text="Non mi interessa")


def test_click_to_whatsapp_referral_is_kept() -> None:
    referral = _only_message("referral_ad").data.referral
    assert referral is not None
    assert referral.source_type == "ad"
    assert referral.headline == "Caffè in grani -20%"
    assert referral.ctwa_clid is not None
    assert referral.ctwa_clid.startswith("ARAk")


def test_reply_context_product_enquiry_and_forward() -> None:
    enquiry, forward = (e.data.context for e in _messages("context_reply"))
    assert enquiry is not None
    assert enquiry.referred_product is not None
    assert enquiry.referred_product.product_retailer_id == "SKU-ESPRESSO-1KG"
    assert enquiry.reply_to_from == "390212345678"
    assert forward is not None
    assert forward.forwarded
    assert forward.frequently_forwarded
    assert forward.reply_to_wamid is None


def test_unsupported_message_keeps_whatsapp_error_131051() -> None:
    content = _only_message("unsupported").data.content
    assert isinstance(content, UnsupportedContent)
    assert content.original_type == "unsupported"
    assert [e.code for e in content.errors] == [131051]
    assert content.errors[0].details == "Message type is currently not supported."


def test_system_message_reports_changed_number() -> None:
    content = _only_message("system").data.content
    assert content == SystemContent(
        system_type="user_changed_number",
        body="Giulia Rossi changed their phone number to a new number 393339998877",
        new_wa_id="393339998877",
    )


def test_statuses_keep_pricing_conversation_and_failure_errors() -> None:
    events = _events("statuses")
    assert all(isinstance(e, WhatsAppStatusUpdated) for e in events)
    statuses = [e.data for e in events if isinstance(e, WhatsAppStatusUpdated)]
    assert [s.status for s in statuses] == ["sent", "delivered", "read", "failed", "played"]
    sent, delivered, _, failed, _ = statuses
    assert sent.conversation is not None
    assert sent.conversation.origin_type == "service"
    assert sent.conversation.expiration == datetime(2025, 11, 27, 10, 1, tzinfo=UTC)
    assert sent.pricing is not None
    assert sent.pricing.pricing_model == "CBP"
    assert delivered.pricing is not None
    assert delivered.pricing.pricing_model == "PMP"
    assert [e.code for e in failed.errors] == [131047]
    assert failed.errors[0].href is not None
    assert events[3].subject == conversation_key(TENANT, "393471112222")


def test_batch_over_two_entries_yields_every_message_for_both_customers() -> None:
    events = _events("batch_two_entries")
    messages = [e for e in events if isinstance(e, InboundMessageReceived)]
    statuses = [e for e in events if isinstance(e, WhatsAppStatusUpdated)]
    assert len(messages) == 5
    by_customer = {
        key: [e.data.message_id[-6:] for e in messages if e.key() == key]
        for key in {e.key() for e in messages}
    }
    assert by_customer == {
        "t_acme:393331234567": ["000001", "000003"],
        "t_acme:393471112222": ["000002", "000004", "000005"],
    }
    names = {e.data.customer.wa_id: e.data.customer.profile_name for e in messages}
    assert names == {"393331234567": "Giulia Rossi", "393471112222": "Marco Bianchi"}
    # the account_update change is not a message; the unknown "deleted" status is skipped
    assert [(s.data.status, s.data.recipient_user_id) for s in statuses] == [
        ("delivered", "IT.1048576")
    ]


def test_event_ids_are_stable_per_wamid_so_replays_dedupe() -> None:
    first, second = _statuses("statuses")[:2], _statuses("statuses")[:2]
    assert [e.id for e in first] == [e.id for e in second]
    assert first[0].id != first[1].id  # same wamid, different status
    assert first[0].id == status_event_id(first[0].data.wamid, "sent")
    message = _only_message("text")
    assert message.id == message_event_id(message.data.message_id)


def test_tenant_resolver_routes_by_phone_number_id_and_skips_unknown_numbers() -> None:
    payload = parse_webhook(_raw("text"))
    assert phone_number_ids(payload) == [PHONE_NUMBER_ID]
    routed = normalise(payload, {PHONE_NUMBER_ID: "t_other"}.get)
    assert [e.tenant_id for e in routed] == ["t_other"]
    assert normalise(payload, lambda _: None) == []


def test_unknown_message_type_becomes_unsupported_rather_than_lost() -> None:
    body = json.loads(_raw("text"))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["type"] = "request_welcome"
    del message["text"]
    event = normalise(parse_webhook(json.dumps(body)), TENANT)[0]
    assert isinstance(event, InboundMessageReceived)
    assert event.data.content == UnsupportedContent(original_type="request_welcome")


def test_business_scoped_user_id_identifies_a_customer_without_phone_number() -> None:
    body = json.loads(_raw("text"))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Anon"}, "wa_id": "", "user_id": "IT.99"}]
    value["messages"][0]["from"] = ""
    value["messages"][0]["from_user_id"] = "IT.99"
    event = normalise(parse_webhook(json.dumps(body)), TENANT)[0]
    assert isinstance(event, InboundMessageReceived)
    assert event.data.customer.wa_id is None
    assert event.data.customer.user_id == "IT.99"
    assert event.data.customer.profile_name == "Anon"
    assert event.key() == "t_acme:IT.99"


def test_unknown_meta_fields_are_ignored() -> None:
    body = json.loads(_raw("text"))
    body["entry"][0]["changes"][0]["value"]["messages"][0]["brand_new_field"] = {"x": 1}
    body["entry"][0]["brand_new_entry_field"] = True
    assert len(normalise(parse_webhook(json.dumps(body)), TENANT)) == 1
