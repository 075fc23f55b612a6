"""A rejected item wrapped back into the one-item webhook that carries it, and normalised by
the live code again."""

from __future__ import annotations

import json

import pytest

from bancone_contracts.whatsapp import normalise_webhook, parse_webhook
from bancone_contracts.whatsapp.normalise import message_event_id
from bancone_gateway.domain.rejected_replay import webhook_of_item

pytestmark = pytest.mark.unit

MESSAGE = {
    "from": "393331220101",
    "id": "wamid.R1",
    "timestamp": "1733480000",
    "type": "text",
    "text": {"body": "Ciao"},
}


def test_a_message_is_wrapped_into_its_numbers_change_and_parses_to_its_event() -> None:
    body = webhook_of_item("messages", "message", MESSAGE, "WABA1", "PN1")
    batch = normalise_webhook(parse_webhook(json.dumps(body)), "shop")
    [event] = batch.events
    assert event.id == message_event_id("wamid.R1")
    assert batch.rejected == []


def test_a_still_bad_status_is_rejected_again_with_todays_error() -> None:
    status = {"id": "wamid.S", "status": "read", "timestamp": "soon", "recipient_id": "39333"}
    body = webhook_of_item("messages", "status", status, "WABA1", "PN1")
    batch = normalise_webhook(parse_webhook(json.dumps(body)), "shop")
    [item] = batch.rejected
    assert (item.kind, item.raw) == ("status", status)
    assert "timestamp" in item.error


def test_a_whole_change_value_is_the_value_itself() -> None:
    value = {"event": "FLAGGED", "display_phone_number": "3906"}
    body = webhook_of_item("phone_number_quality_update", "update", value, "WABA1", None)
    assert body["entry"][0]["changes"] == [{"field": "phone_number_quality_update", "value": value}]
