"""Each kind of outbound content becomes the Graph API body WHATSAPP.md describes."""

from __future__ import annotations

from typing import Any

import pytest

from bancone_contracts.events.outbound import (
    ListRow,
    ListSection,
    OutboundButtons,
    OutboundContent,
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
from bancone_notifier.domain.bodies import send_body

pytestmark = pytest.mark.unit


def message(content: OutboundContent, **extra: Any) -> OutboundMessage:
    return OutboundMessage(
        customer_id="393331234567",
        to="393331234567",
        phone_number_id="106540352242922",
        sender="ai",
        content=content,
        **extra,
    )


def test_text_body_carries_envelope_fields_and_preview_flag() -> None:
    body = send_body(message(OutboundText(body="Ciao!")))

    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "393331234567",
        "type": "text",
        "text": {"body": "Ciao!", "preview_url": False},
    }


def test_reply_to_becomes_context_message_id() -> None:
    body = send_body(message(OutboundText(body="Sì"), reply_to="wamid.IN1"))

    assert body["context"] == {"message_id": "wamid.IN1"}


def test_buttons_become_an_interactive_button_message() -> None:
    content = OutboundButtons(
        body="Confermi l'ordine?",
        header="Ordine 42",
        footer="Enoteca Bancone",
        buttons=(ReplyButton(id="yes", title="Sì"), ReplyButton(id="no", title="No")),
    )

    body = send_body(message(content))

    assert body["type"] == "interactive"
    assert body["interactive"] == {
        "type": "button",
        "header": {"type": "text", "text": "Ordine 42"},
        "body": {"text": "Confermi l'ordine?"},
        "footer": {"text": "Enoteca Bancone"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Sì"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}},
            ]
        },
    }


def test_buttons_without_header_or_footer_omit_them() -> None:
    content = OutboundButtons(body="Ok?", buttons=(ReplyButton(id="ok", title="Ok"),))

    interactive = send_body(message(content))["interactive"]

    assert "header" not in interactive
    assert "footer" not in interactive


def test_list_becomes_an_interactive_list_with_sections_and_rows() -> None:
    content = OutboundList(
        body="Ecco i rossi",
        button="Vedi vini",
        sections=(
            ListSection(
                title="Piemonte",
                rows=(
                    ListRow(id="p:1", title="Barolo", description="45,00 €"),
                    ListRow(id="p:2", title="Barbera"),
                ),
            ),
            ListSection(title="Toscana", rows=(ListRow(id="p:3", title="Chianti"),)),
        ),
    )

    interactive = send_body(message(content))["interactive"]

    assert interactive == {
        "type": "list",
        "body": {"text": "Ecco i rossi"},
        "action": {
            "button": "Vedi vini",
            "sections": [
                {
                    "title": "Piemonte",
                    "rows": [
                        {"id": "p:1", "title": "Barolo", "description": "45,00 €"},
                        {"id": "p:2", "title": "Barbera"},
                    ],
                },
                {"title": "Toscana", "rows": [{"id": "p:3", "title": "Chianti"}]},
            ],
        },
    }


def test_template_carries_name_language_and_typed_parameters() -> None:
    content = OutboundTemplate(
        name="order_ready",
        language_code="it",
        components=(
            TemplateComponent(
                type="header",
                parameters=(TemplateParameter(type="image", value="https://x.test/a.png"),),
            ),
            TemplateComponent(type="body", parameters=(TemplateParameter(value="Giulia"),)),
            TemplateComponent(
                type="button",
                sub_type="quick_reply",
                index=0,
                parameters=(TemplateParameter(type="payload", value="track"),),
            ),
            TemplateComponent(
                type="button",
                sub_type="copy_code",
                index=1,
                parameters=(TemplateParameter(value="SCONTO10"),),
            ),
        ),
    )

    body = send_body(message(content))

    assert body["type"] == "template"
    assert body["template"] == {
        "name": "order_ready",
        "language": {"code": "it"},
        "components": [
            {
                "type": "header",
                "parameters": [{"type": "image", "image": {"link": "https://x.test/a.png"}}],
            },
            {"type": "body", "parameters": [{"type": "text", "text": "Giulia"}]},
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "track"}],
            },
            {
                "type": "button",
                "sub_type": "copy_code",
                "index": "1",
                "parameters": [{"type": "coupon_code", "coupon_code": "SCONTO10"}],
            },
        ],
    }


def test_template_without_components_sends_none() -> None:
    body = send_body(message(OutboundTemplate(name="hello_world", language_code="en_US")))

    assert body["template"] == {"name": "hello_world", "language": {"code": "en_US"}}


def test_media_by_link_keeps_caption() -> None:
    content = OutboundMedia(media_type="image", link="https://x.test/barolo.jpg", caption="Barolo")

    body = send_body(message(content))

    assert body["type"] == "image"
    assert body["image"] == {"link": "https://x.test/barolo.jpg", "caption": "Barolo"}


def test_document_by_media_id_keeps_filename() -> None:
    content = OutboundMedia(media_type="document", media_id="1234", filename="listino.pdf")

    body = send_body(message(content))

    assert body["type"] == "document"
    assert body["document"] == {"id": "1234", "filename": "listino.pdf"}


def test_reaction_names_the_message_and_never_quotes_it() -> None:
    content = OutboundReaction(message_id="wamid.IN1", emoji="👍")

    body = send_body(message(content, reply_to="wamid.IN1"))

    assert body["type"] == "reaction"
    assert body["reaction"] == {"message_id": "wamid.IN1", "emoji": "👍"}
    assert "context" not in body


def test_a_customer_known_only_by_user_id_is_addressed_by_it() -> None:
    msg = OutboundMessage(
        customer_id="IT.123",
        to_user_id="IT.123",
        phone_number_id="106540352242922",
        sender="ai",
        content=OutboundText(body="Ciao"),
    )

    body = send_body(msg)

    assert "to" not in body
    assert body["recipient"] == "IT.123"
