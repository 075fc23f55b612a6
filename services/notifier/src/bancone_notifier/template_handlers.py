"""Use cases of message templates (the HTTP API and `handlers.py` call them).

- create / sync / delete go through the Graph API's message-template endpoints of the channel's
  WhatsApp Business Account, with the channel's access token (opened like a send's), and keep a
  local copy per tenant;
- Meta's `message_template_status_update` / `message_template_quality_update` webhooks
  (`AccountNotice` on `bancone.whatsapp-updates.v1`) move the copy's status and quality;
- before a template is sent, `prepare_template` syncs a template unknown here from the Graph
  API (sync on miss: a template created in Meta's own tools still works), and
  `template_refusal` refuses one that is unknown, not approved, or filled in wrongly — without
  a Graph send.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.events.outbound import OutboundMessageRequested, OutboundTemplate
from bancone_contracts.events.whatsapp_update import AccountNotice, WhatsAppUpdateReceived
from bancone_kit.clock import utcnow
from bancone_kit.crypto import Sealed, SecretBoxError
from bancone_kit.logging import get_logger
from bancone_notifier.adapters import repository, template_store
from bancone_notifier.adapters.graph_templates import TemplateApi
from bancone_notifier.adapters.tables import ChannelRecord, MessageTemplateRecord
from bancone_notifier.consent_handlers import handle_whatsapp_update
from bancone_notifier.domain.templates import (
    NoAccountError,
    TemplateCategory,
    TemplateNotFoundError,
    TemplateRefusal,
    check_new_template,
    send_refusal,
)

if TYPE_CHECKING:
    from bancone_notifier.deps import NotifierDeps

log = get_logger(__name__)

STATUS_FIELD = "message_template_status_update"
QUALITY_FIELD = "message_template_quality_update"


@dataclass(frozen=True)
class Account:
    """What a template call needs from a channel: its account and the opened token."""

    waba_id: str
    access_token: str


def _api(deps: NotifierDeps) -> TemplateApi:
    if deps.templates is None:
        raise NoAccountError("this notifier has no Graph API client for templates")
    return deps.templates


def _account(channel: ChannelRecord, deps: NotifierDeps) -> Account:
    """The channel's account and token (opened like a send's: AAD = phone_number_id)."""
    if not channel.waba_id:
        raise NoAccountError(
            f"channel {channel.phone_number_id} has no WhatsApp Business Account id"
        )
    if not channel.access_token_ciphertext or not channel.key_id:
        raise NoAccountError(f"channel {channel.phone_number_id} has no access token")
    sealed = Sealed(channel.key_id, channel.access_token_ciphertext)
    try:
        token = deps.channel_box.open_parts(sealed, channel.phone_number_id)
    except SecretBoxError as error:
        raise NoAccountError(
            f"the access token of channel {channel.phone_number_id} does not open"
        ) from error
    return Account(channel.waba_id, token)


async def _tenant_account(deps: NotifierDeps, tenant_id: str, phone_number_id: str) -> Account:
    async with deps.sessions() as session:
        channel = await session.get(ChannelRecord, phone_number_id)
    if channel is None or channel.tenant_id != tenant_id:
        raise TemplateNotFoundError("channel")
    if channel.status != "active":
        raise NoAccountError(f"channel {phone_number_id} is disabled")
    return _account(channel, deps)


# --- operator commands ----------------------------------------------------------------------


@dataclass(frozen=True)
class CreateTemplate:
    tenant_id: str
    phone_number_id: str
    name: str
    language: str
    category: TemplateCategory
    components: list[dict[str, Any]] = field(default_factory=list)


async def create_template(command: CreateTemplate, deps: NotifierDeps) -> MessageTemplateRecord:
    """Check it (`InvalidTemplateError` before any call), submit it to Meta, keep a copy with
    the status Meta answered (usually PENDING until review)."""
    check_new_template(command.name, command.language, command.components)
    account = await _tenant_account(deps, command.tenant_id, command.phone_number_id)
    body = {
        "name": command.name,
        "language": command.language,
        "category": command.category.upper(),
        "components": command.components,
    }
    answer = await _api(deps).create_template(account.waba_id, account.access_token, body)
    now = utcnow()
    async with deps.sessions() as session, session.begin():
        row = await template_store.upsert_from_graph(
            session,
            command.tenant_id,
            account.waba_id,
            {**body, "id": answer["id"], "status": answer.get("status") or "PENDING"},
            at=now,
        )
    assert row is not None
    log.info(
        "template.created",
        tenant_id=command.tenant_id,
        name=command.name,
        language=command.language,
        status=row.status,
    )
    return row


async def sync_templates(
    tenant_id: str, phone_number_id: str, deps: NotifierDeps, *, name: str | None = None
) -> list[MessageTemplateRecord]:
    """Replace the local copy of the account's templates (or those called `name`) with what
    the Graph API lists; templates no longer listed are dropped."""
    account = await _tenant_account(deps, tenant_id, phone_number_id)
    return await _sync(deps, tenant_id, account, name=name)


async def _sync(
    deps: NotifierDeps, tenant_id: str, account: Account, *, name: str | None = None
) -> list[MessageTemplateRecord]:
    items = await _api(deps).list_templates(account.waba_id, account.access_token, name=name)
    for attempt in (1, 2):
        try:
            rows, dropped = await _store_listed(deps, tenant_id, account, items, prune=name is None)
            break
        except IntegrityError:
            # Concurrent syncs (sends missing the same template at once) both inserted it: the
            # second attempt finds the other's row and updates it.
            if attempt == 2:
                raise
    log.info("template.synced", tenant_id=tenant_id, listed=len(rows), dropped=dropped)
    return rows


async def _store_listed(
    deps: NotifierDeps,
    tenant_id: str,
    account: Account,
    items: Sequence[Mapping[str, Any]],
    *,
    prune: bool,
) -> tuple[list[MessageTemplateRecord], int]:
    """Store what the Graph API listed, in one transaction; with `prune`, drop what it no
    longer lists. Returns the rows and how many were dropped."""
    now = utcnow()
    rows: list[MessageTemplateRecord] = []
    async with deps.sessions() as session, session.begin():
        for item in items:
            row = await template_store.upsert_from_graph(
                session, tenant_id, account.waba_id, item, at=now
            )
            if row is not None:
                rows.append(row)
        await session.flush()
        dropped = 0
        if prune:
            keep = {row.id for row in rows}
            dropped = await template_store.delete_missing(session, tenant_id, account.waba_id, keep)
    return rows, dropped


async def delete_template(
    tenant_id: str, phone_number_id: str, name: str, deps: NotifierDeps
) -> None:
    """Delete every language of `name` at Meta, then here."""
    account = await _tenant_account(deps, tenant_id, phone_number_id)
    async with deps.sessions() as session:
        known = await template_store.listed(session, tenant_id, account.waba_id)
    if not any(row.name == name for row in known):
        raise TemplateNotFoundError("template")
    await _api(deps).delete_template(account.waba_id, account.access_token, name)
    async with deps.sessions() as session, session.begin():
        await template_store.delete_named(session, tenant_id, account.waba_id, name)
    log.info("template.deleted", tenant_id=tenant_id, name=name)


async def list_templates(
    tenant_id: str, deps: NotifierDeps, *, phone_number_id: str | None = None
) -> list[MessageTemplateRecord]:
    waba_id: str | None = None
    if phone_number_id is not None:
        async with deps.sessions() as session:
            channel = await session.get(ChannelRecord, phone_number_id)
        if channel is None or channel.tenant_id != tenant_id or not channel.waba_id:
            raise TemplateNotFoundError("channel")
        waba_id = channel.waba_id
    async with deps.sessions() as session:
        return await template_store.listed(session, tenant_id, waba_id)


async def get_template(
    tenant_id: str, template_id: uuid.UUID, deps: NotifierDeps
) -> MessageTemplateRecord:
    async with deps.sessions() as session:
        row = await template_store.get(session, tenant_id, template_id)
    if row is None:
        raise TemplateNotFoundError("template")
    return row


# --- Meta's webhooks ------------------------------------------------------------------------


async def handle_update(event: WhatsAppUpdateReceived, deps: NotifierDeps) -> None:
    """`bancone.whatsapp-updates.v1`: template notices here, marketing preferences to the
    consent ledger, anything else is not the notifier's."""
    update = event.data.update
    if isinstance(update, AccountNotice):
        await handle_template_notice(event, update, deps)
        return
    await handle_whatsapp_update(event, deps)


async def handle_template_notice(
    event: WhatsAppUpdateReceived, notice: AccountNotice, deps: NotifierDeps
) -> None:
    """Move a template's status (`event`: APPROVED, REJECTED, PAUSED…) or quality score.

    Idempotent; a status notice older than the status already recorded is ignored. A notice
    for a template not known here is logged (the next sync or send brings it in)."""
    if notice.field not in (STATUS_FIELD, QUALITY_FIELD):
        return
    fields = {"tenant_id": event.tenant_id, "field": notice.field, "template": notice.template_name}
    async with deps.sessions() as session, session.begin():
        row = await _noticed_template(session, event.tenant_id, notice)
        if row is None:
            log.info("template.notice_for_unknown_template", **fields)
            return
        if notice.field == QUALITY_FIELD:
            if notice.quality_score:
                row.quality_score = notice.quality_score.upper()[:16]
        elif notice.event:
            if repository.aware(row.status_changed_at) > event.time:
                log.info("template.stale_status_ignored", status=notice.event, **fields)
                return
            row.status = notice.event.upper()[:16]
            row.status_changed_at = event.time
            reason = notice.reason if notice.reason and notice.reason != "NONE" else None
            row.reason = reason[:500] if reason else None
        row.updated_at = utcnow()
    log.info("template.notice_applied", status=notice.event, quality=notice.quality_score, **fields)


async def _noticed_template(
    session: AsyncSession, tenant_id: str, notice: AccountNotice
) -> MessageTemplateRecord | None:
    if notice.template_id:
        row = await template_store.find_by_meta_id(
            session, tenant_id, notice.waba_id, notice.template_id
        )
        if row is not None:
            return row
    if notice.template_name and notice.template_language:
        return await template_store.find(
            session, tenant_id, notice.waba_id, notice.template_name, notice.template_language
        )
    return None


# --- before a send --------------------------------------------------------------------------


async def prepare_template(event: OutboundMessageRequested, deps: NotifierDeps) -> None:
    """Sync on miss: a template not known here is looked up once at the Graph API (by name)
    before the send is judged; one Meta does not know either is not looked up again for a
    while (`template_misses`). Outside any transaction; a Graph API that cannot be reached
    raises, so the consumer retries the event."""
    content = event.data.content
    if not isinstance(content, OutboundTemplate) or not deps.rules.check_templates:
        return
    async with deps.sessions() as session:
        channel = await session.get(ChannelRecord, event.data.phone_number_id)
        if channel is None or channel.tenant_id != event.tenant_id or not channel.waba_id:
            return  # the send's own checks refuse or retry it
        known = await template_store.find(
            session, event.tenant_id, channel.waba_id, content.name, content.language_code
        )
    if known is not None or deps.templates is None:
        return
    misses = deps.template_misses
    key = (event.tenant_id, channel.waba_id, content.name, content.language_code)
    if misses.missing(key):
        log.info("template.lookup_skipped", tenant_id=event.tenant_id, name=content.name)
        return
    async with misses.single_lookup(key):
        if misses.missing(key):  # the lookup we waited for found nothing either
            return
        async with deps.sessions() as session:
            if await template_store.find(session, *key) is not None:
                return  # the lookup we waited for found it
        try:
            account = _account(channel, deps)
        except NoAccountError:
            return
        await _sync(deps, event.tenant_id, account, name=content.name)
        async with deps.sessions() as session:
            found = await template_store.find(session, *key)
        if found is None:
            misses.remember(key)
            log.info("template.unknown_at_meta", tenant_id=event.tenant_id, name=content.name)


async def template_refusal(
    session: AsyncSession,
    event: OutboundMessageRequested,
    channel: ChannelRecord,
    deps: NotifierDeps,
) -> TemplateRefusal | None:
    """Why this template must not be sent: unknown here (after `prepare_template`), not
    APPROVED, or parameters that do not match the stored components."""
    content = event.data.content
    if not isinstance(content, OutboundTemplate) or not deps.rules.check_templates:
        return None
    stored = None
    if channel.waba_id:
        stored = await template_store.status_and_components(
            session, event.tenant_id, channel.waba_id, content.name, content.language_code
        )
    return send_refusal(
        content.name,
        content.language_code,
        stored[0] if stored else None,
        stored[1] if stored else None,
        content.components,
    )
