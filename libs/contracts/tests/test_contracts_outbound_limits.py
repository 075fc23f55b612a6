"""Outbound messages WhatsApp would refuse are rejected when they are built."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bancone_contracts import OutboundMessageRequested, parse_event
from bancone_contracts.events.outbound import (
    ListRow,
    ListSection,
    OutboundButtons,
    OutboundList,
    OutboundMedia,
    OutboundMessage,
    OutboundReaction,
    OutboundTemplate,
    OutboundText,
    ReplyButton,
    TemplateComponent,
    TemplateParameter,
)

pytestmark = pytest.mark.unit


def _rows(n: int, prefix: str = "r") -> tuple[ListRow, ...]:
    return tuple(ListRow(id=f"{prefix}{i}", title=f"Row {i}") for i in range(n))


def _buttons(*titles: str) -> tuple[ReplyButton, ...]:
    return tuple(ReplyButton(id=f"b{i}", title=t) for i, t in enumerate(titles))


def test_text_body_up_to_4096_characters_is_accepted() -> None:
    assert len(OutboundText(body="a" * 4096).body) == 4096


@pytest.mark.parametrize(
    "build",
    [
        lambda: OutboundText(body="a" * 4097),
        lambda: OutboundText(body=""),
        lambda: OutboundButtons(body="a" * 1025, buttons=_buttons("Sì")),
        lambda: OutboundButtons(body="ok", buttons=()),
        lambda: OutboundButtons(body="ok", buttons=_buttons("1", "2", "3", "4")),
        lambda: OutboundButtons(body="ok", buttons=_buttons("Sì", "Sì")),
        lambda: OutboundButtons(
            body="ok", buttons=(ReplyButton(id="x", title="A"), ReplyButton(id="x", title="B"))
        ),
        lambda: OutboundButtons(body="ok", header="h" * 61, buttons=_buttons("Sì")),
        lambda: OutboundButtons(body="ok", footer="f" * 61, buttons=_buttons("Sì")),
        lambda: ReplyButton(id="b", title="t" * 21),
        lambda: ReplyButton(id="i" * 257, title="ok"),
        lambda: ListRow(id="r", title="t" * 25),
        lambda: ListRow(id="i" * 201, title="ok"),
        lambda: ListRow(id="r", title="ok", description="d" * 73),
        lambda: OutboundList(body="ok", button="b" * 21, sections=(ListSection(rows=_rows(1)),)),
        lambda: OutboundList(
            body="ok",
            button="Scegli",
            sections=(
                ListSection(title="A", rows=_rows(6, "a")),
                ListSection(title="B", rows=_rows(5, "b")),
            ),
        ),
        lambda: OutboundList(
            body="ok",
            button="Scegli",
            sections=(ListSection(title="A", rows=_rows(2, "a")), ListSection(rows=_rows(2, "b"))),
        ),
        lambda: OutboundList(
            body="ok",
            button="Scegli",
            sections=(
                ListSection(title="A", rows=_rows(1)),
                ListSection(title="B", rows=_rows(1)),
            ),
        ),
        lambda: ListSection(title="s" * 25, rows=_rows(1)),
        lambda: OutboundMedia(media_type="image"),
        lambda: OutboundMedia(media_type="image", link="https://x/y.jpg", media_id="123"),
        lambda: OutboundMedia(media_type="audio", media_id="1", caption="no captions on audio"),
        lambda: OutboundMedia(media_type="image", media_id="1", filename="a.jpg"),
        lambda: OutboundMedia(media_type="image", media_id="1", caption="c" * 1025),
        lambda: TemplateComponent(type="button", parameters=(TemplateParameter(value="x"),)),
    ],
)
def test_over_limit_or_malformed_content_is_rejected(build: Any) -> None:
    with pytest.raises(ValidationError):
        build()


def test_content_at_the_limits_is_accepted() -> None:
    buttons = OutboundButtons(
        body="b" * 1024,
        header="h" * 60,
        footer="f" * 60,
        buttons=(
            ReplyButton(id="i" * 256, title="t" * 20),
            ReplyButton(id="two", title="Due"),
            ReplyButton(id="three", title="Tre"),
        ),
    )
    listing = OutboundList(
        body="Scegli un prodotto",
        button="b" * 20,
        sections=(
            ListSection(title="s" * 24, rows=_rows(5, "a")),
            ListSection(
                title="Altri",
                rows=(
                    *_rows(4, "b"),
                    ListRow(id="i" * 200, title="t" * 24, description="d" * 72),
                ),
            ),
        ),
    )
    assert len(buttons.buttons) == 3
    assert sum(len(s.rows) for s in listing.sections) == 10


def test_every_outbound_kind_round_trips_as_an_event() -> None:
    contents = [
        OutboundText(body="Ciao! https://example.it", preview_url=True),
        OutboundButtons(body="Confermi?", buttons=_buttons("Sì", "No")),
        OutboundList(body="Ecco", button="Vedi", sections=(ListSection(rows=_rows(3)),)),
        OutboundTemplate(
            name="order_ready",
            language_code="it",
            components=(
                TemplateComponent(type="body", parameters=(TemplateParameter(value="Giulia"),)),
                TemplateComponent(
                    type="button",
                    sub_type="quick_reply",
                    index=0,
                    parameters=(TemplateParameter(type="payload", value="STOP"),),
                ),
            ),
        ),
        OutboundMedia(media_type="document", link="https://x/f.pdf", filename="f.pdf"),
        OutboundReaction(message_id="wamid.X", emoji=""),
    ]
    for content in contents:
        event = OutboundMessageRequested.new(
            tenant_id="t_acme",
            source="agent",
            data=OutboundMessage(
                customer_id="393331234567",
                to="393331234567",
                phone_number_id="106540352242922",
                sender="ai",
                content=content,
            ),
        )
        assert parse_event(event.topic, event.to_bytes()) == event
        assert event.key() == "t_acme:393331234567"


def _message(**fields: Any) -> OutboundMessage:
    base: dict[str, Any] = {
        "customer_id": "c1",
        "to": "393331234567",
        "phone_number_id": "106540352242922",
        "sender": "ai",
        "content": OutboundText(body="ciao"),
    }
    return OutboundMessage(**{**base, **fields})


def test_recipient_may_be_a_business_scoped_user_id_but_must_exist() -> None:
    assert _message(to=None, to_user_id="IT.99").to_user_id == "IT.99"
    with pytest.raises(ValidationError, match="recipient"):
        _message(to=None)


def test_human_messages_name_their_operator() -> None:
    assert _message(sender="human", operator_id="op_7").operator_id == "op_7"
    with pytest.raises(ValidationError, match="operator_id"):
        _message(sender="human")
