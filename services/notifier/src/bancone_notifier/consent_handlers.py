"""Use cases of the consent ledger and the 24-hour window (registered in `handlers.py`).

- a customer message renews the window of its business number and, when it is an opt-out or
  opt-in keyword, goes into the ledger and gets a confirmation (an outbound message staged in
  the notifier's outbox, sent by the notifier's own outbound consumer like any other);
- WhatsApp's `user_preferences` (marketing stop/resume) goes into the ledger;
- `outbound_refusal` is what `handle_outbound_requested` asks before it claims a message: a
  free-form message outside the window, or a marketing template to an opted-out customer, is
  refused without a Graph call.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncSession as SqlAlchemySession
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.events.inbound import InboundMessageReceived, TextContent
from bancone_contracts.events.outbound import (
    OutboundMessage,
    OutboundMessageRequested,
    OutboundTemplate,
    OutboundText,
)
from bancone_contracts.events.whatsapp_update import MarketingPreference, WhatsAppUpdateReceived
from bancone_contracts.subscriptions import consumer_group
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox
from bancone_kit.messaging.outbox import stage
from bancone_notifier.adapters import campaign_store, consent_store
from bancone_notifier.domain.categories import is_marketing
from bancone_notifier.domain.consent import (
    ConsentAction,
    ConsentKeyword,
    checked_keywords,
    confirmation,
    match_keyword,
)
from bancone_notifier.domain.window import Refusal, refusal, window_open

if TYPE_CHECKING:
    from bancone_notifier.deps import NotifierDeps

log = get_logger(__name__)

SOURCE = "notifier"
INBOUND_INBOX = consumer_group(SOURCE, InboundMessageReceived).inbox
UPDATES_INBOX = consumer_group(SOURCE, WhatsAppUpdateReceived).inbox
_CONFIRMATION_IDS = uuid.UUID("6f1d2c86-7f55-4b0e-9d51-0c6a3f0b9e21")
_PREFERENCE_ACTIONS: dict[str, ConsentAction] = {"stop": "opt_out", "resume": "opt_in"}
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ComplianceRules:
    """How strictly outbound messages are checked (settings `enforce_window`,
    `inbound_grace_seconds`)."""

    enforce_window: bool = True
    check_templates: bool = True
    """Refuse a template unknown here (after a sync on miss), not APPROVED, or with parameters
    that do not match its components (`template_handlers.template_refusal`)."""
    inbound_grace_seconds: float = 10.0
    """How long an AI reply may wait for the customer message it quotes to be recorded here
    (the inbound consumer may lag the agent's reply) before the window is judged without it."""


def _sessions(deps: NotifierDeps) -> async_sessionmaker[SqlAlchemySession]:
    """The inbox is typed for SQLAlchemy's session; SQLModel's is a subclass of it."""
    return cast("async_sessionmaker[SqlAlchemySession]", deps.sessions)


# --- inbound messages -----------------------------------------------------------------------


async def handle_inbound_received(event: InboundMessageReceived, deps: NotifierDeps) -> None:
    """Renew the customer's window; record an opt-out/opt-in keyword and confirm it."""
    message = event.data
    fields = {"tenant_id": event.tenant_id, "event_id": str(event.id)}
    customer_id = message.customer.customer_id
    # Edits, deletions and system notices are seen (a reply may quote them) but neither renew
    # the window nor opt anyone out.
    new_message = message.kind == "message" and message.content.kind != "system"
    async with inbox.claim(_sessions(deps), INBOUND_INBOX, event.id) as claimed:
        if claimed is None:
            log.info("inbound.duplicate_ignored", **fields)
            return
        session = cast(AsyncSession, claimed)
        await consent_store.record_inbound(
            session,
            tenant_id=event.tenant_id,
            phone_number_id=message.phone_number_id,
            customer_id=customer_id,
            message_id=message.message_id,
            received_at=message.timestamp,
            renews_window=new_message,
        )
        if not new_message or not isinstance(message.content, TextContent):
            await _remember(session, event, None)
            return
        keywords = await consent_store.keywords(session, event.tenant_id)
        keyword = match_keyword(message.content.body, keywords)
        await _remember(session, event, keyword.language if keyword else None)
        if keyword is None:
            return
        await consent_store.record_consent(
            session,
            tenant_id=event.tenant_id,
            customer_id=customer_id,
            phone_number_id=message.phone_number_id,
            action=keyword.action,
            source="keyword",
            proof=f"{message.message_id}: {message.content.body}"[:1000],
            event_id=event.id,
            occurred_at=message.timestamp,
        )
        stage(session, _confirmation(event, confirmation(keyword, keywords)))
    log.info(
        "consent.keyword_recorded",
        action=keyword.action,
        language=keyword.language,
        phone_number_id=message.phone_number_id,
        **fields,
    )


async def _remember(
    session: AsyncSession, event: InboundMessageReceived, language: str | None
) -> None:
    """What campaigns may use: the profile name, the language of a keyword the customer used."""
    await campaign_store.remember_profile(
        session,
        tenant_id=event.tenant_id,
        customer_id=event.data.customer.customer_id,
        profile_name=event.data.customer.profile_name,
        language=language,
    )


def _confirmation(event: InboundMessageReceived, text: str) -> OutboundMessageRequested:
    """The answer to a keyword; its ids derive from the inbound event's, so a replay of the
    inbound cannot send it twice."""
    message = event.data
    who = message.customer
    return OutboundMessageRequested.new(
        tenant_id=event.tenant_id,
        source=SOURCE,
        id=uuid.uuid5(_CONFIRMATION_IDS, f"event:{event.id}"),
        traceparent=event.traceparent,
        data=OutboundMessage(
            outbound_id=uuid.uuid5(_CONFIRMATION_IDS, f"outbound:{event.id}"),
            customer_id=who.customer_id,
            to=who.wa_id,
            to_user_id=None if who.wa_id else who.user_id,
            phone_number_id=message.phone_number_id,
            reply_to=message.message_id,
            sender="ai",
            content=OutboundText(body=text),
        ),
    )


# --- WhatsApp's user_preferences ------------------------------------------------------------


async def handle_whatsapp_update(event: WhatsAppUpdateReceived, deps: NotifierDeps) -> None:
    """Record a customer's marketing stop/resume from WhatsApp; other updates are not ours."""
    update = event.data.update
    if not isinstance(update, MarketingPreference):
        return
    action = _PREFERENCE_ACTIONS.get(update.value.lower())
    fields = {"tenant_id": event.tenant_id, "event_id": str(event.id), "value": update.value}
    if action is None or "marketing" not in update.category.lower():
        log.warning("consent.preference_not_understood", category=update.category, **fields)
        return
    async with inbox.claim(_sessions(deps), UPDATES_INBOX, event.id) as claimed:
        if claimed is None:
            log.info("consent.duplicate_ignored", **fields)
            return
        detail = f" ({update.detail})" if update.detail else ""
        await consent_store.record_consent(
            cast(AsyncSession, claimed),
            tenant_id=event.tenant_id,
            customer_id=update.customer_wa_id,
            phone_number_id=update.phone_number_id,
            action=action,
            source="whatsapp_preferences",
            proof=f"user_preferences {update.category}={update.value}{detail}"[:1000],
            event_id=event.id,
            occurred_at=update.timestamp or event.time,
        )
    log.info("consent.preference_recorded", action=action, **fields)


# --- commands (the console's, once the notifier has HTTP routes for them) -------------------


@dataclass(frozen=True)
class SetConsentKeywords:
    """Replace a tenant's opt-out/opt-in keywords (an empty list: no keywords at all)."""

    tenant_id: str
    keywords: tuple[ConsentKeyword, ...]


@dataclass(frozen=True)
class RecordOptIn:
    """An opt-in collected outside WhatsApp (a web form, the till): where, when and its proof."""

    tenant_id: str
    customer_id: str
    source: str
    proof: str
    occurred_at: datetime
    request_id: uuid.UUID
    """The caller's idempotency key: the same request twice is one ledger entry."""


async def set_consent_keywords(command: SetConsentKeywords, deps: NotifierDeps) -> None:
    keywords = checked_keywords(command.keywords)  # InvalidKeywordError before any write
    async with deps.sessions() as session, session.begin():
        await consent_store.set_keywords(session, command.tenant_id, keywords)
    log.info("consent.keywords_set", tenant_id=command.tenant_id, count=len(keywords))


async def record_opt_in(command: RecordOptIn, deps: NotifierDeps) -> bool:
    """True if recorded now, False if this request was recorded before."""
    async with deps.sessions() as session, session.begin():
        added = await consent_store.record_consent(
            session,
            tenant_id=command.tenant_id,
            customer_id=command.customer_id,
            phone_number_id=None,
            action="opt_in",
            source=command.source[:32],
            proof=command.proof[:1000],
            event_id=command.request_id,
            occurred_at=command.occurred_at,
        )
    log.info("consent.opt_in_recorded", tenant_id=command.tenant_id, new=added)
    return added


# --- outbound -------------------------------------------------------------------------------


async def await_quoted_inbound(event: OutboundMessageRequested, deps: NotifierDeps) -> None:
    """Give the inbound consumer a moment when a reply quotes a customer message not recorded
    yet, so a fresh reply is not refused only because the inbound consumer lags.

    Called outside any transaction (it may wait); bounded by `inbound_grace_seconds` after the
    outbound event was produced.
    """
    message = event.data
    rules = deps.rules
    if not rules.enforce_window or message.reply_to is None:
        return
    if message.content.kind == "template":
        return
    deadline = event.time + timedelta(seconds=rules.inbound_grace_seconds)
    while True:
        async with deps.sessions() as session:
            if await consent_store.inbound_seen(session, event.tenant_id, message.reply_to):
                return
        if utcnow() >= deadline:
            log.warning(
                "outbound.quoted_inbound_unseen",
                tenant_id=event.tenant_id,
                outbound_id=str(message.outbound_id),
            )
            return
        await asyncio.sleep(_POLL_SECONDS)


async def outbound_refusal(
    session: AsyncSession, event: OutboundMessageRequested, rules: ComplianceRules
) -> Refusal | None:
    """Why WhatsApp's rules forbid this message now, if they do."""
    message = event.data
    content = message.content
    category = content.category if isinstance(content, OutboundTemplate) else None
    # Only what this message's rules need: consent for marketing, the window for free-form.
    opted_out = False
    if is_marketing(content.kind, category):
        status = await consent_store.consent_status(session, event.tenant_id, message.customer_id)
        opted_out = status == "opted_out"
    in_window = True
    if rules.enforce_window and content.kind != "template":
        last = await consent_store.last_inbound_at(
            session, event.tenant_id, message.phone_number_id, message.customer_id
        )
        in_window = window_open(last, utcnow())
    return refusal(
        content.kind,
        category,
        in_window=in_window,
        opted_out=opted_out,
        enforce_window=rules.enforce_window,
    )
