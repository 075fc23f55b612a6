"""Campaign use cases (the operator's commands and the runner's start), beside `handlers.py`.

A campaign is written as a draft, checked (template variables, the channel is the tenant's, the
segment has at least one receiver), then scheduled (`send_at`, or now). The runner
(`campaign_runner`) starts it when due: it materialises the recipients once — a row per
(campaign, customer) with its outbound id and rendered parameters — and sends each at most once.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_kit.logging import get_logger
from bancone_notifier.adapters import campaign_store, customer_store, repository
from bancone_notifier.adapters.tables import (
    CampaignRecipientRecord,
    CampaignRecord,
)
from bancone_notifier.domain.audience import Candidate, Segment, select
from bancone_notifier.domain.campaigns import (
    Action,
    CampaignError,
    CampaignExistsError,
    CampaignNotFoundError,
    MissingFieldError,
    Progress,
    TemplateSpec,
    Variable,
    check_send_at,
    check_template,
    next_state,
    render,
)

if TYPE_CHECKING:
    from bancone_notifier.deps import NotifierDeps

log = get_logger(__name__)

_RECIPIENT_IDS = uuid.UUID("0b3f3c1e-5a0e-4c55-9a7e-2f1d7f3c5e11")


def recipient_outbound_id(campaign_id: uuid.UUID, customer_id: str, attempt: int = 0) -> uuid.UUID:
    """The outbound id of one recipient's message: derived, so each attempt can only ever be
    one message (a retry after a failure that surely reached no one gets the next attempt's)."""
    name = f"{campaign_id}:{customer_id}" + (f":{attempt}" if attempt else "")
    return uuid.uuid5(_RECIPIENT_IDS, name)


# --- (de)serialising the JSON columns -------------------------------------------------------


def template_json(spec: TemplateSpec) -> dict[str, Any]:
    return asdict(spec)


def template_of(data: dict[str, Any]) -> TemplateSpec:
    variables = tuple(Variable(**v) for v in data.get("variables", ()))
    return TemplateSpec(
        name=data["name"],
        language=data["language"],
        category=data["category"],
        variables=variables,
        placeholders=data.get("placeholders"),
    )


_SET_FILTERS = ("languages", "tags", "bought_categories", "asked_categories")
"""The segment's any-of filters, stored as sorted lists."""


def segment_json(segment: Segment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customers": list(segment.customers) if segment.customers is not None else None,
        "contacted_within_days": segment.contacted_within_days,
    }
    for name in _SET_FILTERS:
        values: frozenset[str] | None = getattr(segment, name)
        data[name] = sorted(values) if values is not None else None
    return data


def segment_of(data: dict[str, Any]) -> Segment:
    customers = data.get("customers")
    sets = {
        name: frozenset(data[name]) if data.get(name) is not None else None for name in _SET_FILTERS
    }
    return Segment(
        customers=tuple(customers) if customers is not None else None,
        contacted_within_days=data.get("contacted_within_days"),
        **sets,
    )


# --- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateCampaign:
    tenant_id: str
    name: str
    phone_number_id: str
    template: TemplateSpec
    segment: Segment = field(default_factory=Segment)
    schedule: bool = False
    """Schedule it at once (`send_at`, or now) instead of leaving a draft."""
    send_at: datetime | None = None
    origin: str | None = None


@dataclass(frozen=True)
class CampaignView:
    id: uuid.UUID
    tenant_id: str
    name: str
    phone_number_id: str
    state: str
    template: dict[str, Any]
    segment: dict[str, Any]
    origin: str | None
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    audience: int | None
    """Receivers the segment selects now (before the start); None once materialised."""
    progress: Progress


async def _audience(
    session: AsyncSession, tenant_id: str, phone_number_id: str, segment: Segment
) -> tuple[int, list[CampaignRecipientRecord], dict[str, Candidate]]:
    """(receivers, rows, candidates by id) the segment selects now, from one query; the rows
    are not added to the session."""
    now = utcnow()
    found = await customer_store.candidates(
        session, tenant_id, phone_number_id, opted_in_only=segment.customers is None
    )
    chosen = select(found, segment, now)
    return (
        sum(1 for s in chosen if s.skip_reason is None),
        [
            CampaignRecipientRecord(
                campaign_id=uuid.UUID(int=0),
                customer_id=s.candidate.customer_id,
                tenant_id=tenant_id,
                outbound_id=uuid.UUID(int=0),
                state="skipped" if s.skip_reason else "queued",
                skip_reason=s.skip_reason,
                parameters=[],
            )
            for s in chosen
        ],
        {s.candidate.customer_id: s.candidate for s in chosen},
    )


async def _check_sendable(session: AsyncSession, tenant_id: str, campaign: CampaignRecord) -> None:
    channel = await campaign_store.channel_of(session, campaign.phone_number_id)
    if channel is None or channel.tenant_id != tenant_id:
        raise CampaignError(f"the tenant has no channel {campaign.phone_number_id}")
    receivers, _, _ = await _audience(
        session, tenant_id, campaign.phone_number_id, segment_of(campaign.segment)
    )
    if receivers == 0:
        raise CampaignError("the segment is empty: no opted-in customer matches it")


async def create_campaign(command: CreateCampaign, deps: NotifierDeps) -> CampaignView:
    """Write a draft (or a scheduled campaign); nothing is sent here."""
    check_template(command.template)
    if not command.name.strip():
        raise CampaignError("the campaign needs a name")
    now = utcnow()
    row = CampaignRecord(
        tenant_id=command.tenant_id,
        name=command.name.strip(),
        phone_number_id=command.phone_number_id,
        template=template_json(command.template),
        segment=segment_json(command.segment),
        state="draft",
        origin=command.origin,
        created_at=now,
        updated_at=now,
    )
    async with deps.sessions() as session, session.begin():
        await _check_sendable(session, command.tenant_id, row)
        if command.schedule:
            row.send_at = check_send_at(command.send_at, now)
            row.state = next_state(row.state, "schedule")
        # ON CONFLICT DO NOTHING: a second draft of one offer is a no-op, and waits for the
        # first without deadlocking with an operator editing it.
        values = {c.name: getattr(row, c.name) for c in CampaignRecord.__table__.columns}  # type: ignore[attr-defined]
        if not await insert_ignoring_conflict(session, CampaignRecord, values):
            raise CampaignExistsError(f"a campaign from {command.origin} exists already")
    log.info("campaign.created", campaign_id=str(row.id), tenant_id=row.tenant_id, state=row.state)
    return await get_campaign(command.tenant_id, row.id, deps)


async def schedule_campaign(
    tenant_id: str, campaign_id: uuid.UUID, send_at: datetime | None, deps: NotifierDeps
) -> CampaignView:
    """Confirm a draft: send at `send_at`, or now."""
    async with deps.sessions() as session, session.begin():
        row = await _locked(session, tenant_id, campaign_id)
        now = utcnow()
        state = next_state(row.state, "schedule")
        row.send_at = check_send_at(send_at, now)
        await _check_sendable(session, tenant_id, row)
        row.state = state
        row.updated_at = now
    log.info("campaign.scheduled", campaign_id=str(campaign_id), tenant_id=tenant_id)
    return await get_campaign(tenant_id, campaign_id, deps)


async def change_campaign(
    tenant_id: str, campaign_id: uuid.UUID, action: Action, deps: NotifierDeps
) -> CampaignView:
    """Pause, resume or cancel; the runner sees the new state before its next send."""
    async with deps.sessions() as session, session.begin():
        row = await _locked(session, tenant_id, campaign_id)
        row.state = next_state(row.state, action, started=row.started_at is not None)
        row.updated_at = utcnow()
        if row.state == "cancelled":
            row.finished_at = row.updated_at
    log.info("campaign.changed", campaign_id=str(campaign_id), tenant_id=tenant_id, action=action)
    return await get_campaign(tenant_id, campaign_id, deps)


async def _locked(session: AsyncSession, tenant_id: str, campaign_id: uuid.UUID) -> CampaignRecord:
    row = await campaign_store.get_campaign(session, tenant_id, campaign_id, lock=True)
    if row is None:
        raise CampaignNotFoundError(f"no campaign {campaign_id}")
    return row


async def get_campaign(tenant_id: str, campaign_id: uuid.UUID, deps: NotifierDeps) -> CampaignView:
    async with deps.sessions() as session:
        row = await campaign_store.get_campaign(session, tenant_id, campaign_id)
        if row is None:
            raise CampaignNotFoundError(f"no campaign {campaign_id}")
        return await _view(session, row)


async def list_campaigns(tenant_id: str, deps: NotifierDeps) -> list[CampaignView]:
    async with deps.sessions() as session:
        return [
            await _view(session, row)
            for row in await campaign_store.list_campaigns(session, tenant_id)
        ]


async def _view(session: AsyncSession, row: CampaignRecord) -> CampaignView:
    audience: int | None = None
    if row.started_at is None and row.state in ("draft", "scheduled", "paused"):
        audience, _, _ = await _audience(
            session, row.tenant_id, row.phone_number_id, segment_of(row.segment)
        )
    return CampaignView(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        phone_number_id=row.phone_number_id,
        state=row.state,
        template=row.template,
        segment=row.segment,
        origin=row.origin,
        send_at=_aware(row.send_at),
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
        created_at=repository.aware(row.created_at),
        audience=audience,
        progress=await campaign_store.progress(session, row.id),
    )


def _aware(moment: datetime | None) -> datetime | None:
    return repository.aware(moment) if moment is not None else None


# --- the runner's steps ---------------------------------------------------------------------


async def start_if_due(tenant_id: str, campaign_id: uuid.UUID, deps: NotifierDeps) -> str | None:
    """Start a due scheduled campaign: materialise its recipients once, in the same transaction
    as the state change (so a crash leaves either nothing or all of them). Its state after."""
    async with deps.sessions() as session, session.begin():
        row = await campaign_store.get_campaign(session, tenant_id, campaign_id, lock=True)
        if row is None:
            return None
        now = utcnow()
        if row.state != "scheduled" or row.send_at is None or repository.aware(row.send_at) > now:
            return row.state
        if row.started_at is None:
            await _materialise(session, row)
        row.state = next_state(row.state, "start")
        row.started_at = row.started_at or now
        row.updated_at = now
        state = row.state
    log.info("campaign.started", campaign_id=str(campaign_id), tenant_id=tenant_id)
    return state


async def _materialise(session: AsyncSession, row: CampaignRecord) -> None:
    spec = template_of(row.template)
    _, rows, candidates = await _audience(
        session, row.tenant_id, row.phone_number_id, segment_of(row.segment)
    )
    for recipient in rows:
        recipient.campaign_id = row.id
        recipient.outbound_id = recipient_outbound_id(row.id, recipient.customer_id)
        if recipient.state != "queued":
            continue
        known = candidates.get(recipient.customer_id)
        fields = {
            "customer_id": recipient.customer_id,
            "name": known.name if known else None,
            "language": known.language if known else None,
        }
        try:
            recipient.parameters = list(render(spec.variables, fields))
        except MissingFieldError as error:
            recipient.state = "skipped"
            recipient.skip_reason = str(error)[:200]
    await campaign_store.add_recipients(session, rows)


async def complete_if_done(tenant_id: str, campaign_id: uuid.UUID, deps: NotifierDeps) -> bool:
    """Mark a running campaign completed once no recipient is left to send."""
    async with deps.sessions() as session, session.begin():
        row = await campaign_store.get_campaign(session, tenant_id, campaign_id, lock=True)
        if row is None or row.state != "running":
            return False
        if await campaign_store.open_recipients(session, campaign_id) > 0:
            return False
        row.state = next_state(row.state, "complete")
        row.finished_at = row.updated_at = utcnow()
    log.info("campaign.completed", campaign_id=str(campaign_id), tenant_id=tenant_id)
    return True
