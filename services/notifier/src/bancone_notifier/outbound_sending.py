"""The send path: each outbound message is sent at most once (unless WhatsApp's rules forbid
it: `consent_handlers`, `template_handlers`), paced, and its outcome recorded.

At most once: the outbound id is claimed (`outbound_messages` row, state `sending`) and
committed *before* the Graph API call, and the result is recorded afterwards. A redelivered
event that finds the row does not send again. If the row is still `sending`, a previous run
died (or failed to record) mid-send: whether Meta took the message is unknown, and resending
could reach the customer twice, so the message is marked `unknown` and reported as a
delivery failure titled "outcome unknown" (the v1 contract has no `unknown` status) —
a message possibly lost is preferred to a message possibly duplicated.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Final

from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.common import utc_now
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.crypto import Sealed, SecretBox, SecretBoxError
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_kit.logging import get_logger
from bancone_kit.messaging.outbox import stage
from bancone_notifier.adapters import repository
from bancone_notifier.adapters.graph import Paced, send_with_retries
from bancone_notifier.adapters.tables import ChannelRecord, OutboundMessageRecord
from bancone_notifier.consent_handlers import await_quoted_inbound, outbound_refusal
from bancone_notifier.delivery_updates import apply_parked_statuses, delivery_event
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.bodies import send_body
from bancone_notifier.domain.pacing import Priority
from bancone_notifier.domain.pacing_slots import priority_of
from bancone_notifier.domain.sending import (
    Accepted,
    NotSent,
    Rejected,
    SendOutcome,
    SendReport,
    Unknown,
    is_retryable,
)
from bancone_notifier.metrics import count_send, count_unsent, counted
from bancone_notifier.template_handlers import prepare_template, template_refusal

log = get_logger(__name__)

INTERRUPTED = "interrupted mid-send"


class ChannelUnavailableError(RuntimeError):
    """The sending number has no usable credentials here (yet): the consumer retries, then DLQs.

    Raised before anything is claimed, so a retry may still send.
    """


# --- the sending number ---------------------------------------------------------------------


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
        session,
        delivery_event(row, "failed", error_code=code, error_title=title, retryable=retryable),
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
        await _settle_existing(session, event)
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


async def _settle_existing(session: AsyncSession, event: OutboundMessageRequested) -> None:
    """The outbound id was claimed before (a redelivery, or another consumer right now)."""
    existing = await repository.get_outbound(session, event.data.outbound_id)
    if existing is not None:
        _settle_redelivery(session, existing)
    else:  # claimed and rolled back meanwhile: the next delivery decides
        log.info(
            "outbound.claimed_elsewhere",
            outbound_id=str(event.data.outbound_id),
            tenant_id=event.tenant_id,
        )


async def _release_claim(deps: NotifierDeps, outbound_id: uuid.UUID) -> None:
    """Give back the claim of a message that never left (its sender stopped while it waited
    for the pacer): a later delivery of the same request sends it, instead of reporting its
    outcome unknown."""
    async with deps.sessions() as session, session.begin():
        await repository.release_unsent(session, outbound_id)
    log.info("outbound.claim_released", outbound_id=str(outbound_id))


_SYNC_FIRST: Final = object()
"""`_checked_claim`'s answer when the template is unknown here and may be synced first."""


async def _checked_claim(
    event: OutboundMessageRequested, deps: NotifierDeps, *, sync_on_miss: bool
) -> str | object | None:
    """In one transaction: refuse the message if a rule forbids it, else claim its outbound id
    for sending. The channel's access token once claimed; None when refused, already handled
    or claimed elsewhere; `_SYNC_FIRST` (nothing written) for a template unknown here."""
    message = event.data
    async with deps.sessions() as session, session.begin():
        # Judged first, claimed last: a redelivered message finds its row at the claim (or at
        # the refusal's), which settles it — one lookup fewer on the common path.
        channel = await repository.channel_for_sending(session, message.phone_number_id)
        if channel is None:
            raise ChannelUnavailableError(f"channel {message.phone_number_id} is not known (yet)")
        refusal = _channel_refusal(channel, event.tenant_id)
        if refusal is not None:
            await _refuse(session, event, title=refusal, code=None)
            return None
        ruled_out = await outbound_refusal(session, event, deps.rules)
        if ruled_out is not None:
            await _refuse(session, event, title=ruled_out.title, code=ruled_out.code)
            return None
        unfit = await template_refusal(session, event, channel, deps)
        if unfit is not None and unfit.missing and sync_on_miss and deps.templates is not None:
            return _SYNC_FIRST
        if unfit is not None:
            await _refuse(session, event, title=unfit.title, code=unfit.code)
            return None
        token = _access_token(deps.channel_box, channel)
        if not await _claim(session, event, "sending"):
            await _settle_existing(session, event)
            return None
    return token


async def handle_outbound_requested(
    event: OutboundMessageRequested, deps: NotifierDeps, *, priority: Priority | None = None
) -> SendReport | None:
    """Send the message once: claim, call the Graph API (retrying what may be retried), record.
    The pacer's slot is taken just before each attempt (after the claim, so the request leaves
    on its slot); `priority` overrides the one the content implies (the campaign runner sends
    every message at campaign priority, whatever the template's category). The report of the
    Graph call, or None when nothing was sent (refused, a redelivery, claimed elsewhere)."""
    message = event.data
    await await_quoted_inbound(event, deps)
    token = await _checked_claim(event, deps, sync_on_miss=True)
    if token is _SYNC_FIRST:
        await prepare_template(event, deps)  # a template not known here: one Graph lookup
        token = await _checked_claim(event, deps, sync_on_miss=False)
    if not isinstance(token, str):
        return None
    # The claim is committed: from here on, this outbound id is never sent by anyone else.
    body = send_body(message)
    content = message.content
    category = content.category if content.kind == "template" else None
    pacing = Paced(
        deps.pacer,
        message.phone_number_id,
        message.to or message.to_user_id or message.customer_id,
        priority or priority_of(content.kind, category),
        number_backoff_seconds=deps.number_backoff_seconds,
        pair_backoff_seconds=deps.pair_backoff_seconds,
    )
    requested = False

    async def send() -> SendOutcome:
        nonlocal requested
        requested = True
        return await deps.graph.send_message(message.phone_number_id, token, body)

    try:
        report = await send_with_retries(counted(send), deps.send_retry, pacing)
    except asyncio.CancelledError:
        if not requested:  # stopped while waiting for its first slot: nothing left
            await asyncio.shield(_release_claim(deps, message.outbound_id))
        raise
    count_send(report)
    await record_outcome(deps, event, report)
    return report


async def record_outcome(
    deps: NotifierDeps, event: OutboundMessageRequested, report: SendReport
) -> None:
    """Record what the Graph API said, once more on a fresh connection if the first one had
    been dropped (a database restart; the pool does not ping connections): the message has
    left, and an outcome not recorded would be reported unknown."""
    for attempt in (1, 2):
        try:
            async with deps.sessions() as session, session.begin():
                await _record_report(session, event, report)
            return
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
            log.warning("outbound.record_retried", outbound_id=str(event.data.outbound_id))


async def handle_outbound_event(event: OutboundMessageRequested, deps: NotifierDeps) -> None:
    """The outbound topic's consumer: send the message (its report is recorded, not needed)."""
    await handle_outbound_requested(event, deps)


async def _record_accepted(
    session: AsyncSession,
    event: OutboundMessageRequested,
    wamid: str,
    attempts: int,
    fields: dict[str, str],
) -> None:
    """The common outcome, in Core statements (the ORM's load and flush were a fifth of the
    send path's CPU): lock the wamid against its status webhooks, mark the row, stage the
    event, and apply statuses that beat this commit (rare: loaded through the ORM then)."""
    await repository.lock_wamid(session, wamid)
    row = await repository.record_accepted(
        session, event.data.outbound_id, wamid, attempts, utc_now()
    )
    if row is None:  # rare: read what settled it, for the log
        current = await repository.get_outbound(session, event.data.outbound_id)
        log.warning(
            "outbound.settled_elsewhere", state=current.state if current else None, **fields
        )
        return
    stage(session, delivery_event(row, "accepted"))
    log.info("outbound.accepted", wamid=wamid, attempts=attempts, **fields)
    if await repository.any_unmatched_status(session, event.tenant_id, wamid):
        loaded = await repository.get_outbound(session, event.data.outbound_id)
        assert loaded is not None
        await apply_parked_statuses(session, loaded)


async def _record_report(
    session: AsyncSession, event: OutboundMessageRequested, report: SendReport
) -> None:
    fields = {"outbound_id": str(event.data.outbound_id), "tenant_id": event.tenant_id}
    outcome = report.outcome
    if isinstance(outcome, Accepted):
        await _record_accepted(session, event, outcome.wamid, report.attempts, fields)
        return
    row = await repository.get_outbound(session, event.data.outbound_id)
    if row is None or row.state not in ("sending", "unknown"):
        log.warning("outbound.settled_elsewhere", state=row.state if row else None, **fields)
        return
    row.attempts = report.attempts
    match outcome:
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
