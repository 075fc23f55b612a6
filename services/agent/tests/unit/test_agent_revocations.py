"""A deleted message is not answered if not answered yet; an edit replaces its original."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bancone_agent.domain.revocations import answerable
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    MessageEdit,
    MessageRevoke,
    TextContent,
    UnsupportedContent,
)

pytestmark = pytest.mark.unit


def event(
    wamid: str, *, edit: str | None = None, revoke: str | None = None
) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id="demo",
        source="test",
        data=InboundMessage(
            message_id=wamid,
            phone_number_id="PN",
            customer=Customer(wa_id="393331234567"),
            timestamp=datetime(2026, 12, 6, tzinfo=UTC),
            content=UnsupportedContent(original_type="revoke")
            if revoke
            else TextContent(body=wamid),
            edit=MessageEdit(original_message_id=edit) if edit else None,
            revoke=MessageRevoke(original_message_id=revoke) if revoke else None,
        ),
    )


def ids(events: list[InboundMessageReceived]) -> list[str]:
    return [e.data.message_id for e in events]


def test_a_revoke_and_the_unanswered_message_it_deletes_are_not_answered() -> None:
    batch = [event("w1"), event("w2"), event("w3", revoke="w1")]
    assert ids(answerable(batch)) == ["w2"]


def test_a_revoke_of_a_message_answered_earlier_is_not_answered_either() -> None:
    assert answerable([event("w9", revoke="w0")]) == []


def test_an_edit_replaces_its_original_when_both_wait_together() -> None:
    batch = [event("w1"), event("w2", edit="w1")]
    assert ids(answerable(batch)) == ["w2"]


def test_an_edit_of_an_answered_message_is_answered_as_its_new_text() -> None:
    (only,) = answerable([event("w5", edit="w0")])
    assert only.data.content == TextContent(body="w5")
    assert only.data.kind == "edit"
