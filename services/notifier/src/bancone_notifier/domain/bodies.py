"""The Graph API send body for each kind of outbound content (WHATSAPP.md, Sending).

Limits are already enforced by the contracts when the outbound event is built, so building a
body cannot fail: it only translates our union into Meta's shapes.
"""

from __future__ import annotations

from typing import Any

from bancone_contracts.events.outbound import (
    ListSection,
    OutboundButtons,
    OutboundContent,
    OutboundList,
    OutboundMedia,
    OutboundMessage,
    OutboundReaction,
    OutboundTemplate,
    OutboundText,
    TemplateComponent,
    TemplateParameter,
)

JsonObject = dict[str, Any]


def send_body(message: OutboundMessage) -> JsonObject:
    """`POST /{phone_number_id}/messages` body: envelope fields, recipient, quoted reply, content."""
    body: JsonObject = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    if message.to:
        body["to"] = message.to
    else:
        # Customers known only by a business-scoped user id (2026): field name unconfirmed.
        body["recipient"] = message.to_user_id
    kind, payload = content_payload(message.content)
    body["type"] = kind
    body[kind] = payload
    if message.reply_to and not isinstance(message.content, OutboundReaction):
        body["context"] = {"message_id": message.reply_to}
    return body


def content_payload(content: OutboundContent) -> tuple[str, JsonObject]:
    """The message `type` and the object stored under that key."""
    match content:
        case OutboundText():
            return "text", {"body": content.body, "preview_url": content.preview_url}
        case OutboundButtons():
            return "interactive", _buttons(content)
        case OutboundList():
            return "interactive", _list(content)
        case OutboundTemplate():
            return "template", _template(content)
        case OutboundMedia():
            return content.media_type, _media(content)
        case OutboundReaction():
            return "reaction", {"message_id": content.message_id, "emoji": content.emoji}
    raise TypeError(f"unknown outbound content {type(content).__name__}")  # pragma: no cover


def _interactive(
    kind: str, body: str, header: str | None, footer: str | None, action: JsonObject
) -> JsonObject:
    payload: JsonObject = {"type": kind}
    if header:
        payload["header"] = {"type": "text", "text": header}
    payload["body"] = {"text": body}
    if footer:
        payload["footer"] = {"text": footer}
    payload["action"] = action
    return payload


def _buttons(content: OutboundButtons) -> JsonObject:
    buttons = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in content.buttons]
    return _interactive(
        "button", content.body, content.header, content.footer, {"buttons": buttons}
    )


def _section(section: ListSection) -> JsonObject:
    rows: list[JsonObject] = []
    for row in section.rows:
        item: JsonObject = {"id": row.id, "title": row.title}
        if row.description:
            item["description"] = row.description
        rows.append(item)
    out: JsonObject = {"rows": rows}
    if section.title:
        out = {"title": section.title, **out}
    return out


def _list(content: OutboundList) -> JsonObject:
    action = {"button": content.button, "sections": [_section(s) for s in content.sections]}
    return _interactive("list", content.body, content.header, content.footer, action)


def _parameter(component: TemplateComponent, parameter: TemplateParameter) -> JsonObject:
    if component.sub_type == "copy_code":
        return {"type": "coupon_code", "coupon_code": parameter.value}
    if parameter.type in ("image", "document", "video"):
        return {"type": parameter.type, parameter.type: {"link": parameter.value}}
    return {"type": parameter.type, parameter.type: parameter.value}


def _component(component: TemplateComponent) -> JsonObject:
    out: JsonObject = {"type": component.type}
    if component.type == "button":
        out["sub_type"] = component.sub_type
        out["index"] = str(component.index)
    out["parameters"] = [_parameter(component, p) for p in component.parameters]
    return out


def _template(content: OutboundTemplate) -> JsonObject:
    template: JsonObject = {"name": content.name, "language": {"code": content.language_code}}
    if content.components:
        template["components"] = [_component(c) for c in content.components]
    return template


def _media(content: OutboundMedia) -> JsonObject:
    media: JsonObject = {"link": content.link} if content.link else {"id": content.media_id}
    if content.caption:
        media["caption"] = content.caption
    if content.filename:
        media["filename"] = content.filename
    return media
