"""Webhook fields besides messages become WhatsAppUpdateReceived events, each item on its own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bancone_contracts import parse_event
from bancone_contracts.events.whatsapp_update import (
    AccountNotice,
    BusinessEcho,
    MarketingPreference,
    WhatsAppUpdateReceived,
)
from bancone_contracts.topics import WHATSAPP_UPDATES
from bancone_contracts.whatsapp import (
    account_waba_ids,
    normalise_webhook,
    parse_webhook,
    phone_number_ids,
)

pytestmark = pytest.mark.unit

METADATA = {"display_phone_number": "390200000000", "phone_number_id": "PN"}


def payload(*changes: tuple[str, dict[str, Any]]) -> Any:
    return parse_webhook(
        json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {"id": "WABA1", "changes": [{"field": f, "value": v} for f, v in changes]}
                ],
            }
        )
    )


def updates(body: Any) -> list[WhatsAppUpdateReceived]:
    result = normalise_webhook(body, "t_a", waba_tenant={"WABA1": "t_a"}.get)
    events = [e for e in result.events if isinstance(e, WhatsAppUpdateReceived)]
    for event in events:
        assert parse_event(WHATSAPP_UPDATES, event.to_bytes()) == event
    return events


def test_an_owner_echo_names_the_customer_and_the_text() -> None:
    echo = {
        "from": "390200000000",
        "to": "+39 333 123 4567",
        "id": "wamid.ECHO",
        "timestamp": "1764151200",
        "type": "text",
        "text": {"body": "Ci penso io, Giulia"},
    }
    body = payload(("smb_message_echoes", {"metadata": METADATA, "message_echoes": [echo]}))
    assert phone_number_ids(body) == ["PN"]
    (event,) = updates(body)
    update = event.data.update
    assert isinstance(update, BusinessEcho)
    assert (update.customer_wa_id, update.text) == ("393331234567", "Ci penso io, Giulia")
    assert event.key() == "t_a:393331234567"


def test_a_marketing_stop_becomes_a_preference_and_a_bad_one_is_set_aside() -> None:
    stop = {
        "wa_id": "393331234567",
        "detail": "User requested to stop marketing messages",
        "category": "marketing_messages",
        "value": "stop",
        "timestamp": 1764151200,
    }
    broken = {"category": "marketing_messages", "value": "resume"}
    body = payload(("user_preferences", {"metadata": METADATA, "user_preferences": [stop, broken]}))
    result = normalise_webhook(body, "t_a")
    (event,) = result.events
    assert isinstance(event, WhatsAppUpdateReceived)
    assert isinstance(event.data.update, MarketingPreference)
    assert event.data.update.value == "stop"
    assert [(r.kind, r.raw) for r in result.rejected] == [("update", broken)]


def test_template_and_quality_notices_are_routed_by_business_account() -> None:
    body = payload(
        (
            "message_template_status_update",
            {
                "event": "REJECTED",
                "message_template_id": 123,
                "message_template_name": "order_ready",
                "message_template_language": "it",
                "reason": "INVALID_FORMAT",
            },
        ),
        (
            "phone_number_quality_update",
            {
                "display_phone_number": "390200000000",
                "event": "FLAGGED",
                "current_limit": "TIER_1K",
            },
        ),
    )
    assert account_waba_ids(body) == ["WABA1"]
    template, quality = (e.data.update for e in updates(body))
    assert isinstance(template, AccountNotice)
    assert (template.event, template.template_id, template.reason) == (
        "REJECTED",
        "123",
        "INVALID_FORMAT",
    )
    assert isinstance(quality, AccountNotice)
    assert (quality.event, quality.current_limit) == ("FLAGGED", "TIER_1K")
    assert normalise_webhook(body, "t_a").events == [], "no WABA resolver: skipped"


def test_a_redelivered_update_keeps_its_event_id() -> None:
    body = payload(("account_update", {"event": "VERIFIED_ACCOUNT"}))
    assert [e.id for e in updates(body)] == [e.id for e in updates(body)]
