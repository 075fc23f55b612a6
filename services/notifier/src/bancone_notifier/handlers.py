"""The notifier's use cases: keep channels, send each outbound message at most once (unless
WhatsApp's rules forbid it: `consent_handlers`), follow its delivery. Plain functions `(event, deps)`; the registry at the bottom says who handles what.

At most once: the outbound id is claimed (`outbound_messages` row, state `sending`) and
committed *before* the Graph API call, and the result is recorded afterwards. A redelivered
event that finds the row does not send again. If the row is still `sending`, a previous run
died (or failed to record) mid-send: whether Meta took the message is unknown, and resending
could reach the customer twice, so the message is marked `unknown` and reported as a
delivery failure titled "outcome unknown" (the v1 contract has no `unknown` status) —
a message possibly lost is preferred to a message possibly duplicated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.common import WhatsAppError, utc_now
from bancone_contracts.envelope import Envelope
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.delivery import DeliveryResult, DeliveryStatus, DeliveryUpdated
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived
from bancone_kit.crypto import Sealed, SecretBox, SecretBoxError
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_kit.logging import get_logger
from bancone_kit.messaging.outbox import stage
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.subscriptions import Subscription, declared
from bancone_notifier.adapters import repository
from bancone_notifier.adapters.graph import GraphApi, Paced, send_with_retries
from bancone_notifier.adapters.graph_templates import TemplateApi
from bancone_notifier.adapters.tables import (
    ChannelRecord,
    DeliveryStatusRecord,
    OutboundMessageRecord,
)
from bancone_notifier.campaign_handlers import handle_catalog_changed
from bancone_notifier.consent_handlers import (
    ComplianceRules,
    await_quoted_inbound,
    handle_inbound_received,
    outbound_refusal,
    record_opt_in,
    set_consent_keywords,
)
from bancone_notifier.domain.bodies import send_body
from bancone_notifier.domain.lifecycle import apply_status
from bancone_notifier.domain.pacing import Pacer, Unpaced
from bancone_notifier.domain.pacing_slots import priority_of
from bancone_notifier.domain.sending import (
    Accepted,
    NotSent,
    Rejected,
    SendReport,
    Unknown,
    is_retryable,
)
from bancone_notifier.interest_handlers import handle_agent_turn, handle_order_changed
from bancone_notifier.metrics import count_send, count_unsent, counted
from bancone_notifier.template_handlers import handle_update, prepare_template, template_refusal

log = get_logger(__name__)

SOURCE = "notifier"
INTERRUPTED = "interrupted mid-send"


class ChannelUnavailableError(RuntimeError):
    """The sending number has no usable credentials here (yet): the consumer retries, then DLQs.

    Raised before anything is claimed, so a retry may still send.
    """


@dataclass(frozen=True)
class NotifierDeps:
    sessions: async_sessionmaker[AsyncSession]
    """From `bancone_kit.db.session_factory`: objects stay usable after commit."""
    graph: GraphApi
    channel_box: SecretBox
    send_retry: RetryPolicy
    rules: ComplianceRules = field(default_factory=ComplianceRules)
    """WhatsApp's rules checked before a send (`consent_handlers`): the window, opt-outs."""
    templates: TemplateApi | None = None
    """The Graph API's message-template endpoints (`template_handlers`); None: templates are
    not managed, and with `rules.check_templates` every template send is refused as unknown."""
    pacer: Pacer = field(default_factory=Unpaced)
    """Every send attempt waits for its slot (`adapters/pacer.py`; docs/pacing.md)."""
    number_backoff_seconds: float = 1.0
    """How long a number holds after 130429 without a Retry-After."""
    pair_backoff_seconds: float = 6.0
    """How long a pair holds after 131056 without a Retry-After."""


# --- channels -------------------------------------------------------------------------------


async def handle_channel_changed(event: ChannelChanged, deps: NotifierDeps) -> None:
    """Upsert the local copy of a channel; an event older than the row is ignored."""
    change = event.data
    async with deps.sessions() as session, session.begin():
        row = await repository.get_channel(session, change.phone_number_id)
        if row is not None and repository.aware(row.changed_at) > event.time:
            log.info("channel.stale_change_ignored", phone_number_id=change.phone_number_id)
            return
        if row is None:
            row = ChannelRecord(
                phone_number_id=change.phone_number_id,
                tenant_id=event.tenant_id,
                status="active",
                changed_at=event.time,
            )
            session.add(row)
        row.tenant_id = event.tenant_id
        row.status = "disabled" if change.change == "disabled" else "active"
        row.access_token_ciphertext = change.access_token_ciphertext
        row.key_id = change.key_id
        row.waba_id = change.waba_id
        row.display_phone_number = change.display_phone_number
        row.changed_at = event.time
        row.updated_at = utc_now()
    log.info(
        "channel.updated",
        phone_number_id=change.phone_number_id,
        tenant_id=event.tenant_id,
        change=change.change,
    )


def _channel_refusal(channel: ChannelRecord, tenant_id: str) -> str | None:
    """Why this channel must not send for this tenant, if it must not."""
    if channel.tenant_id != tenant_id:
        return "the sending number belongs to another tenant"
    if channel.status != "active" or not channel.access_token_ciphertext:
        return "the sending number is disabled"
    return None


def _access_token(box: SecretBox, channel: ChannelRecord) -> str:
    """Open the token sealed by the gateway (AAD = phone_number_id); it lives only in memory."""
    if not channel.access_token_ciphertext or not channel.key_id:
        raise ChannelUnavailableError(f"channel {channel.phone_number_id} has no access token")
    sealed = Sealed(channel.key_id, channel.access_token_ciphertext)
    try:
        return box.open_parts(sealed, channel.phone_number_id)
    except SecretBoxError as error:
        raise ChannelUnavailableError(
            f"the access token of channel {channel.phone_number_id} does not open: {error}"
        ) from error


# --- outbound messages ----------------------------------------------------------------------


def _delivery(
    row: OutboundMessageRecord,
    status: DeliveryStatus,
    *,
    occurred_at: datetime | None = None,
    error_code: int | None = None,
    error_title: str | None = None,
    retryable: bool | None = None,
) -> DeliveryUpdated:
    return DeliveryUpdated.new(
        tenant_id=row.tenant_id,
        source=SOURCE,
        data=DeliveryResult(
            outbound_id=row.outbound_id,
            customer_id=row.customer_id,
            wamid=row.wamid,
            status=status,
            error_code=error_code,
            error_title=error_title,
            retryable=retryable,
            attempt=max(row.attempts, 1),
            occurred_at=occurred_at or utc_now(),
        ),
    )


def _fail(
    session: AsyncSession,
    row: OutboundMessageRecord,
    *,
    state: str = "failed",
    code: int | None = None,
    title: str,
    retryable: bool,
) -> None:
    row.state = state
    row.error_code = code
    row.error_title = title[:500]
    row.retryable = retryable
    row.updated_at = utc_now()
    stage(
        session, _delivery(row, "failed", error_code=code, error_title=title, retryable=retryable)
    )


def _unknown_title(reason: str) -> str:
    return f"outcome unknown ({reason}); not resent"


def _new_row(event: OutboundMessageRequested, state: str) -> OutboundMessageRecord:
    message = event.data
    now = utc_now()
    return OutboundMessageRecord(
        outbound_id=message.outbound_id,
        tenant_id=event.tenant_id,
        customer_id=message.customer_id,
        phone_number_id=message.phone_number_id,
        conversation_id=message.conversation_id,
        event_id=event.id,
        content_kind=message.content.kind,
        state=state,
        created_at=now,
        updated_at=now,
    )


async def _claim(session: AsyncSession, event: OutboundMessageRequested, state: str) -> bool:
    row = _new_row(event, state)
    values = {c.name: getattr(row, c.name) for c in OutboundMessageRecord.__table__.columns}  # type: ignore[attr-defined]
    return await insert_ignoring_conflict(session, OutboundMessageRecord, values)


def _settle_redelivery(session: AsyncSession, row: OutboundMessageRecord) -> None:
    fields = {"outbound_id": str(row.outbound_id), "tenant_id": row.tenant_id, "state": row.state}
    if row.state == "sending":
        _fail(session, row, state="unknown", title=_unknown_title(INTERRUPTED), retryable=False)
        count_unsent("interrupted")
        log.warning("outbound.outcome_unknown", **fields)
    else:
        log.info("outbound.duplicate_ignored", **fields)


async def _refuse(
    session: AsyncSession, event: OutboundMessageRequested, *, title: str, code: int | None
) -> None:
    """Settle the message as failed without a Graph call (once: the claim decides)."""
    if not await _claim(session, event, "failed"):
        return
    row = await repository.get_outbound(session, event.data.outbound_id)
    assert row is not None
    _fail(session, row, code=code, title=title, retryable=False)
    count_unsent("refused")
    log.warning(
        "outbound.refused",
        reason=title,
        code=code,
        outbound_id=str(event.data.outbound_id),
        tenant_id=event.tenant_id,
    )


async def handle_outbound_requested(
    event: OutboundMessageRequested, deps: NotifierDeps, *, slot_taken: bool = False
) -> None:
    """Send the message once: claim, call the Graph API (retrying what may be retried), record.
    `slot_taken`: the caller already holds the pacer's slot for the first attempt."""
    message = event.data
    fields = {"outbound_id": str(message.outbound_id), "tenant_id": event.tenant_id}
    await await_quoted_inbound(event, deps)
    await prepare_template(event, deps)
    async with deps.sessions() as session, session.begin():
        existing = await repository.get_outbound(session, message.outbound_id)
        if existing is not None:
            _settle_redelivery(session, existing)
            return
        channel = await repository.get_channel(session, message.phone_number_id, shared=True)
        if channel is None:
            raise ChannelUnavailableError(f"channel {message.phone_number_id} is not known (yet)")
        refusal = _channel_refusal(channel, event.tenant_id)
        if refusal is not None:
            await _refuse(session, event, title=refusal, code=None)
            return
        ruled_out = await outbound_refusal(session, event, deps.rules)
        if ruled_out is not None:
            await _refuse(session, event, title=ruled_out.title, code=ruled_out.code)
            return
        unfit = await template_refusal(session, event, channel, deps)
        if unfit is not None:
            await _refuse(session, event, title=unfit.title, code=unfit.code)
            return
        token = _access_token(deps.channel_box, channel)
        if not await _claim(session, event, "sending"):
            log.info("outbound.claimed_elsewhere", **fields)
            return
    # The claim is committed: from here on, this outbound id is never sent by anyone else.
    body = send_body(message)
    content = message.content
    category = content.category if content.kind == "template" else None
    pacing = Paced(
        deps.pacer,
        message.phone_number_id,
        message.to or message.to_user_id or message.customer_id,
        priority_of(content.kind, category),
        number_backoff_seconds=deps.number_backoff_seconds,
        pair_backoff_seconds=deps.pair_backoff_seconds,
        first_slot_taken=slot_taken,
    )
    report = await send_with_retries(
        counted(lambda: deps.graph.send_message(message.phone_number_id, token, body)),
        deps.send_retry,
        pacing,
    )
    count_send(report)
    async with deps.sessions() as session, session.begin():
        await _record_report(session, event, report)


async def _record_report(
    session: AsyncSession, event: OutboundMessageRequested, report: SendReport
) -> None:
    fields = {"outbound_id": str(event.data.outbound_id), "tenant_id": event.tenant_id}
    outcome = report.outcome
    if isinstance(outcome, Accepted):
        await repository.lock_wamid(session, outcome.wamid)
    row = await repository.get_outbound(session, event.data.outbound_id)
    if row is None or row.state not in ("sending", "unknown"):
        log.warning("outbound.settled_elsewhere", state=row.state if row else None, **fields)
        return
    row.attempts = report.attempts
    match outcome:
        case Accepted(wamid):
            row.state = "accepted"
            row.wamid = wamid
            row.updated_at = utc_now()
            stage(session, _delivery(row, "accepted"))
            log.info("outbound.accepted", wamid=wamid, attempts=report.attempts, **fields)
            await _apply_parked_statuses(session, row)
        case Rejected(error):
            retryable = is_retryable(error)
            title = error.title or f"HTTP {error.http_status}"
            _fail(session, row, code=error.code, title=title, retryable=retryable)
            log.warning(
                "outbound.failed",
                code=error.code,
                http_status=error.http_status,
                retryable=retryable,
                attempts=report.attempts,
                **fields,
            )
        case NotSent(reason):
            _fail(session, row, title=f"Graph API unreachable ({reason})", retryable=True)
            log.warning("outbound.unreachable", reason=reason, attempts=report.attempts, **fields)
        case Unknown(reason):
            _fail(session, row, state="unknown", title=_unknown_title(reason), retryable=False)
            log.warning("outbound.outcome_unknown", reason=reason, **fields)


# --- statuses -------------------------------------------------------------------------------


def _error_title(error: WhatsAppError | None) -> str | None:
    if error is None:
        return None
    return (error.title or error.message or "")[:500] or None


def _advance(
    session: AsyncSession,
    row: OutboundMessageRecord,
    status: str,
    occurred_at: datetime,
    error: WhatsAppError | None,
) -> bool:
    """Move the lifecycle if `status` ranks higher; publish the new state. False if it did not."""
    new_state = apply_status(row.state, status)
    if new_state is None:
        return False
    row.state = new_state
    row.updated_at = utc_now()
    if new_state == "failed":
        row.error_code = error.code if error else None
        row.error_title = _error_title(error)
        row.retryable = False
    stage(
        session,
        _delivery(
            row,
            new_state,
            occurred_at=occurred_at,
            error_code=row.error_code if new_state == "failed" else None,
            error_title=row.error_title if new_state == "failed" else None,
            retryable=False if new_state == "failed" else None,
        ),
    )
    return True


async def _apply_parked_statuses(session: AsyncSession, row: OutboundMessageRecord) -> None:
    """Statuses that beat the send's commit to the database are applied now, in time order."""
    assert row.wamid is not None
    for parked in await repository.unmatched_statuses(session, row.tenant_id, row.wamid):
        parked.outbound_id = row.outbound_id
        error = (
            WhatsAppError(code=parked.error_code, title=parked.error_title)
            if parked.error_code is not None
            else None
        )
        parked.applied = _advance(
            session,
            row,
            parked.status,
            repository.aware(parked.occurred_at),
            error,
        )


async def handle_status_updated(event: WhatsAppStatusUpdated, deps: NotifierDeps) -> None:
    """Record a WhatsApp status once per (wamid, status) and move the lifecycle forward."""
    update = event.data
    fields = {"wamid": update.wamid, "status": update.status, "tenant_id": event.tenant_id}
    error = update.errors[0] if update.errors else None
    async with deps.sessions() as session, session.begin():
        await repository.lock_wamid(session, update.wamid)
        row = await repository.find_outbound_by_wamid(session, event.tenant_id, update.wamid)
        moves = row is not None and apply_status(row.state, update.status) is not None
        inserted = await insert_ignoring_conflict(
            session,
            DeliveryStatusRecord,
            {
                "wamid": update.wamid,
                "status": update.status,
                "tenant_id": event.tenant_id,
                "outbound_id": row.outbound_id if row else None,
                "occurred_at": update.timestamp,
                "received_at": utc_now(),
                "error_code": error.code if error else None,
                "error_title": _error_title(error),
                "applied": moves,
            },
        )
        if not inserted:
            log.info("status.duplicate_ignored", **fields)
            return
        if row is None:
            log.info("status.unmatched", **fields)
            return
        if not _advance(session, row, update.status, update.timestamp, error):
            log.info("status.recorded_without_change", state=row.state, **fields)
            return
    log.info("status.applied", outbound_id=str(row.outbound_id), **fields)


# --- registry -------------------------------------------------------------------------------

Handler = Callable[[Any, NotifierDeps], Awaitable[None]]

EVENT_HANDLERS: Final[dict[type[Envelope[Any]], Handler]] = {
    ChannelChanged: handle_channel_changed,
    OutboundMessageRequested: handle_outbound_requested,
    WhatsAppStatusUpdated: handle_status_updated,
    InboundMessageReceived: handle_inbound_received,
    WhatsAppUpdateReceived: handle_update,
    CatalogEntityChanged: handle_catalog_changed,
    OrderChanged: handle_order_changed,
    AgentTurnCompleted: handle_agent_turn,
}
"""Which handler reacts to which event (`entrypoints/consumers.py` subscribes them)."""

COMMAND_HANDLERS: Final[dict[str, Callable[..., Awaitable[Any]]]] = {
    "set_consent_keywords": set_consent_keywords,
    "record_opt_in": record_opt_in,
}
"""The consent commands (`entrypoints/customers_api.py` calls them through
`customer_handlers`)."""

SUBSCRIPTIONS: Final[tuple[Subscription, ...]] = declared(SOURCE)
"""Where each of those events is read from: the groups `bancone_contracts.subscriptions`
declares for the notifier (channels, outbound messages, statuses, inbound messages and
WhatsApp updates for the consent ledger and the 24-hour window, catalog changes for drafts of
campaigns on new offers, orders and agent turns for customer interests)."""
