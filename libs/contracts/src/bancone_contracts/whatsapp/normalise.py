"""Turn a WhatsApp webhook POST into Bancone events: every message and every status in it.

Each message and status is validated and normalised on its own. One that cannot be (a
reaction without ``message_id``, an unusable timestamp, a sender without any id…) becomes a
``RejectedItem`` — its raw JSON and the reason — and the rest of the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, get_args
from uuid import UUID, uuid5

from pydantic import ValidationError

from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.status import WhatsAppStatus, WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdate
from bancone_contracts.whatsapp import updates
from bancone_contracts.whatsapp.messages import inbound_message
from bancone_contracts.whatsapp.rejected import (
    NormalisedWebhook,
    RejectedItem,
    RejectedKind,
    WhatsAppEvent,
    describe,
)
from bancone_contracts.whatsapp.statuses import status_update
from bancone_contracts.whatsapp.times import unix_time
from bancone_contracts.whatsapp.webhook import (
    WaChangeValue,
    WaContact,
    WaEntry,
    WaMessage,
    WaStatus,
    WebhookPayload,
)

WEBHOOK_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"

EVENT_ID_NAMESPACE = UUID("5d3f0c1e-8a0b-4f9e-9a51-0b2a6c1b7e10")
"""Namespace of event ids derived from WhatsApp ids: a re-published webhook gets the same ids."""

_KNOWN_STATUSES: frozenset[str] = frozenset(get_args(WhatsAppStatus))

TenantResolver = Callable[[str], str | None]
"""Maps a phone_number_id to its tenant id, or None for a number we do not serve."""


def parse_webhook(raw_body: bytes | str) -> WebhookPayload:
    """Parse a webhook POST's envelope (raises pydantic ``ValidationError`` when it is not one).

    Messages and statuses are not validated here: ``normalise_webhook`` does it one by one.
    """
    return WebhookPayload.model_validate_json(raw_body)


def phone_number_ids(payload: WebhookPayload) -> list[str]:
    """Every business phone_number_id the payload carries messages or statuses for, in order."""
    seen: dict[str, None] = {}
    for _, _, raw_value in _changes(payload, _ROUTED_BY_NUMBER):
        pnid = _phone_number_id_of(raw_value)
        if pnid is not None:
            seen.setdefault(pnid)
    return list(seen)


def account_waba_ids(payload: WebhookPayload) -> list[str]:
    """The WhatsApp Business Account ids of template and account notices, in order."""
    seen: dict[str, None] = {}
    for entry, _, _ in _changes(payload, updates.ACCOUNT_FIELDS):
        seen.setdefault(entry.id)
    return list(seen)


def message_event_id(wamid: str) -> UUID:
    """The event id of an inbound message: stable per wamid, so consumers dedupe replays."""
    return uuid5(EVENT_ID_NAMESPACE, f"whatsapp.message:{wamid}")


def status_event_id(wamid: str, status: str) -> UUID:
    """The event id of a status: stable per (wamid, status), WhatsApp's dedupe key for statuses."""
    return uuid5(EVENT_ID_NAMESPACE, f"whatsapp.status:{wamid}:{status}")


def normalise(
    payload: WebhookPayload,
    tenant: str | TenantResolver,
    *,
    source: str = "gateway",
    traceparent: str | None = None,
) -> list[WhatsAppEvent]:
    """The events of ``normalise_webhook``, without the rejected items."""
    return normalise_webhook(payload, tenant, source=source, traceparent=traceparent).events


def normalise_webhook(
    payload: WebhookPayload,
    tenant: str | TenantResolver,
    *,
    source: str = "gateway",
    traceparent: str | None = None,
    waba_tenant: TenantResolver | None = None,
) -> NormalisedWebhook:
    """All messages and statuses of every entry and change, as events, in payload order.

    ``tenant`` is the tenant id, or a resolver from phone_number_id to tenant id; changes for
    a number the resolver does not know (None) are skipped, not rejected. Statuses WhatsApp
    may add later (not in ``WhatsAppStatus``) are skipped; messages of unknown types become
    ``unsupported``. Anything else that fails is a ``RejectedItem``. Template and account
    notices are routed by ``waba_tenant`` (WhatsApp Business Account id → tenant), skipped
    without it.
    """
    resolve: TenantResolver = (lambda _: tenant) if isinstance(tenant, str) else tenant
    out = NormalisedWebhook()
    for entry, change_field, raw_value in _changes(payload, updates.ACCOUNT_FIELDS):
        owner = waba_tenant(entry.id) if waba_tenant is not None else None
        if owner is None:
            continue
        try:
            notice = updates.account_notice(change_field, entry.id, raw_value)
        except ValueError as exc:
            out.rejected.append(
                RejectedItem(
                    change_field, "update", raw_value, describe(exc), entry.id, None, owner
                )
            )
            continue
        out.events.append(
            updates.update_event(
                owner, change_field, raw_value, notice, source=source, traceparent=traceparent
            )
        )
    for entry, change_field, raw_value in _changes(payload, _ROUTED_BY_NUMBER):
        pnid = _phone_number_id_of(raw_value)
        tenant_id = resolve(pnid) if pnid is not None else None
        if pnid is not None and tenant_id is None:
            continue
        try:
            value = WaChangeValue.model_validate(raw_value)
        except ValidationError as exc:
            out.rejected.append(
                RejectedItem(change_field, "change", raw_value, describe(exc), entry.id, pnid)
            )
            continue
        if value.metadata is None or tenant_id is None:
            continue
        if change_field == MESSAGES_FIELD:
            _normalise_value(out, entry, value, tenant_id, source, traceparent)
        else:
            _normalise_number_updates(
                out,
                entry,
                change_field,
                raw_value,
                value.metadata.phone_number_id,
                tenant_id,
                source,
                traceparent,
            )
    return out


def _normalise_number_updates(
    out: NormalisedWebhook,
    entry: WaEntry,
    change_field: str,
    raw_value: dict[str, Any],
    pnid: str,
    tenant_id: str,
    source: str,
    traceparent: str | None,
) -> None:
    """Owner echoes and marketing preferences: each item alone, like messages."""
    is_echo = change_field == updates.ECHOES_FIELD
    items = raw_value.get("message_echoes" if is_echo else "user_preferences")
    for raw in items if isinstance(items, list) else []:
        try:
            update: WhatsAppUpdate = (
                updates.echo(pnid, raw) if is_echo else updates.preference(pnid, raw)
            )
        except ValueError as exc:
            out.rejected.append(
                RejectedItem(change_field, "update", raw, describe(exc), entry.id, pnid, tenant_id)
            )
            continue
        out.events.append(
            updates.update_event(
                tenant_id, change_field, raw, update, source=source, traceparent=traceparent
            )
        )


def _normalise_value(
    out: NormalisedWebhook,
    entry: WaEntry,
    value: WaChangeValue,
    tenant_id: str,
    source: str,
    traceparent: str | None,
) -> None:
    assert value.metadata is not None
    pnid = value.metadata.phone_number_id
    contacts = _valid_contacts(value.contacts)

    def reject(kind: RejectedKind, raw: Any, error: str) -> None:
        out.rejected.append(
            RejectedItem(MESSAGES_FIELD, kind, raw, error, entry.id, pnid, tenant_id)
        )

    for raw in value.messages:
        try:
            message = WaMessage.model_validate(raw)
            data = inbound_message(
                message,
                phone_number_id=pnid,
                display_phone_number=value.metadata.display_phone_number,
                waba_id=entry.id,
                contacts=contacts,
            )
        except ValueError as exc:
            reject("message", raw, describe(exc))
            continue
        out.events.append(
            InboundMessageReceived.new(
                id=message_event_id(message.id),
                tenant_id=tenant_id,
                source=source,
                traceparent=traceparent,
                data=data,
            )
        )
    for raw in value.statuses:
        try:
            status = WaStatus.model_validate(raw)
            if status.status not in _KNOWN_STATUSES:
                continue
            update = status_update(pnid, status)
        except ValueError as exc:
            reject("status", raw, describe(exc))
            continue
        out.events.append(
            WhatsAppStatusUpdated.new(
                id=status_event_id(status.id, status.status),
                tenant_id=tenant_id,
                source=source,
                traceparent=traceparent,
                data=update,
            )
        )


def _valid_contacts(raw_contacts: tuple[Any, ...]) -> list[WaContact]:
    """The contacts that parse; a broken one only costs its profile name."""
    contacts: list[WaContact] = []
    for raw in raw_contacts:
        try:
            contacts.append(WaContact.model_validate(raw))
        except ValidationError:
            continue
    return contacts


_ROUTED_BY_NUMBER = frozenset({MESSAGES_FIELD}) | updates.NUMBER_FIELDS


def _changes(
    payload: WebhookPayload, fields: frozenset[str]
) -> Iterator[tuple[WaEntry, str, dict[str, Any]]]:
    for entry in payload.entry:
        for change in entry.changes:
            if change.field in fields:
                yield entry, change.field, change.value


def _phone_number_id_of(raw_value: dict[str, Any]) -> str | None:
    metadata = raw_value.get("metadata")
    if isinstance(metadata, dict):
        pnid = metadata.get("phone_number_id")
        if isinstance(pnid, str) and pnid:
            return pnid
    return None


__all__ = [
    "EVENT_ID_NAMESPACE",
    "MESSAGES_FIELD",
    "WEBHOOK_OBJECT",
    "NormalisedWebhook",
    "RejectedItem",
    "TenantResolver",
    "WhatsAppEvent",
    "account_waba_ids",
    "describe",
    "message_event_id",
    "normalise",
    "normalise_webhook",
    "parse_webhook",
    "phone_number_ids",
    "status_event_id",
    "unix_time",
]
