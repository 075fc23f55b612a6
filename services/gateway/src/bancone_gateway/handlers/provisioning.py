"""Tenants and channels for platform operators.

A channel change and its `bancone.channel.v1` event commit together (outbox), so the notifier's
copy of the access token can never disagree with the gateway's for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.events.channel import ChannelChange, ChannelChanged, ChannelChangeKind
from bancone_gateway.adapters import channels as channel_store
from bancone_gateway.adapters.tables import ChannelRecord, TenantRecord
from bancone_gateway.domain.channels import (
    ChannelCredentials,
    ChannelStatus,
    Outcome,
    change_for,
    channel_event_aad,
)
from bancone_gateway.domain.errors import (
    ChannelConflictError,
    ChannelNotFoundError,
    TenantExistsError,
    TenantNotFoundError,
)
from bancone_gateway.domain.tenants import TenantDraft
from bancone_gateway.handlers.deps import GatewayDeps
from bancone_kit.clock import utcnow
from bancone_kit.crypto import SecretBox
from bancone_kit.logging import get_logger
from bancone_kit.messaging import outbox

log = get_logger(__name__)

SOURCE = "gateway"


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Channel:
    """A channel as operators may see it: which secrets are set, never their values."""

    tenant_id: str
    phone_number_id: str
    waba_id: str | None
    display_phone_number: str | None
    status: ChannelStatus
    has_verify_token: bool
    has_app_secret: bool
    has_access_token: bool
    created_at: datetime
    updated_at: datetime


def _tenant(record: TenantRecord) -> Tenant:
    return Tenant(record.id, record.name, record.created_at, record.updated_at)


def _channel(record: ChannelRecord) -> Channel:
    return Channel(
        tenant_id=record.tenant_id,
        phone_number_id=record.phone_number_id,
        waba_id=record.waba_id,
        display_phone_number=record.display_phone_number,
        status="active" if record.status == "active" else "disabled",
        has_verify_token=bool(record.verify_token_sealed),
        has_app_secret=bool(record.app_secret_sealed),
        has_access_token=bool(record.access_token_sealed),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


async def create_tenant(draft: TenantDraft, deps: GatewayDeps) -> Tenant:
    """Create a tenant; an existing id is a conflict (use `put_tenant` to re-run seeds)."""
    try:
        async with deps.sessions() as session, session.begin():
            if await session.get(TenantRecord, draft.id) is not None:
                raise TenantExistsError(f"tenant {draft.id!r} already exists")
            record = TenantRecord(id=draft.id, name=draft.name)
            session.add(record)
    except IntegrityError as exc:
        raise TenantExistsError(f"tenant {draft.id!r} already exists") from exc
    log.info("tenant.created", tenant_id=record.id)
    return _tenant(record)


async def put_tenant(tenant_id: str, name: str, deps: GatewayDeps) -> tuple[Tenant, bool]:
    """Create the tenant or rename it; returns it and whether it was created.

    Two concurrent first PUTs race on the primary key: the loser retries once as an update.
    """
    try:
        return await _put_tenant_once(tenant_id, name, deps)
    except IntegrityError:
        return await _put_tenant_once(tenant_id, name, deps)


async def _put_tenant_once(tenant_id: str, name: str, deps: GatewayDeps) -> tuple[Tenant, bool]:
    async with deps.sessions() as session, session.begin():
        record = await session.get(TenantRecord, tenant_id, with_for_update=True)
        created = record is None
        if record is None:
            record = TenantRecord(id=tenant_id, name=name)
            session.add(record)
        elif record.name != name:
            record.name = name
            record.updated_at = utcnow()
    if created:
        log.info("tenant.created", tenant_id=tenant_id)
    return _tenant(record), created


async def get_tenant(tenant_id: str, deps: GatewayDeps) -> Tenant:
    async with deps.sessions() as session:
        record = await session.get(TenantRecord, tenant_id)
    if record is None:
        raise TenantNotFoundError(f"no tenant {tenant_id!r}")
    return _tenant(record)


async def _require_tenant(session: AsyncSession, tenant_id: str) -> None:
    if await session.get(TenantRecord, tenant_id) is None:
        raise TenantNotFoundError(f"no tenant {tenant_id!r}")


async def _owned_record(
    session: AsyncSession, tenant_id: str, phone_number_id: str
) -> ChannelRecord | None:
    record = await channel_store.find_record(session, phone_number_id, for_update=True)
    if record is not None and record.tenant_id != tenant_id:
        raise ChannelConflictError(f"phone number id {phone_number_id!r} belongs to another tenant")
    return record


def _stage_change(
    session: AsyncSession,
    kind: ChannelChangeKind,
    record: ChannelRecord,
    token: str | None,
    box: SecretBox,
) -> None:
    sealed = box.seal_parts(token, channel_event_aad(record.phone_number_id)) if token else None
    change = ChannelChange(
        change=kind,
        phone_number_id=record.phone_number_id,
        waba_id=record.waba_id,
        display_phone_number=record.display_phone_number,
        access_token_ciphertext=sealed.ciphertext if sealed else None,
        key_id=sealed.key_id if sealed else None,
    )
    outbox.stage(
        session, ChannelChanged.new(tenant_id=record.tenant_id, source=SOURCE, data=change)
    )


async def put_channel(
    tenant_id: str, phone_number_id: str, credentials: ChannelCredentials, deps: GatewayDeps
) -> tuple[Channel, Outcome]:
    """Register the channel, rotate its secrets, or re-enable it; an identical re-run is a no-op.

    Secrets are sealed at rest; a registered/rotated event with the access token sealed for
    the notifier is staged in the same transaction.
    """
    try:
        async with deps.sessions() as session, session.begin():
            await _require_tenant(session, tenant_id)
            record = await _owned_record(session, tenant_id, phone_number_id)
            existing = channel_store.open_channel(record, deps.secrets) if record else None
            outcome = change_for(existing, credentials)
            if record is None:
                record = channel_store.new_record(
                    tenant_id, phone_number_id, credentials, deps.secrets
                )
                session.add(record)
            elif outcome != "unchanged" or channel_store.needs_reseal(record, deps.secrets):
                channel_store.write_credentials(record, credentials, deps.secrets)
            if outcome != "unchanged":
                _stage_change(
                    session, outcome, record, credentials.secret("access_token"), deps.channel_box
                )
    except IntegrityError as exc:
        raise ChannelConflictError(
            f"phone number id {phone_number_id!r} was changed concurrently; retry"
        ) from exc
    deps.forget_routes()
    log.info("channel.put", tenant_id=tenant_id, phone_number_id=phone_number_id, outcome=outcome)
    return _channel(record), outcome


async def get_channel(tenant_id: str, phone_number_id: str, deps: GatewayDeps) -> Channel:
    async with deps.sessions() as session:
        record = await channel_store.find_record(session, phone_number_id)
    if record is None or record.tenant_id != tenant_id:
        raise ChannelNotFoundError(f"tenant {tenant_id!r} has no channel {phone_number_id!r}")
    return _channel(record)


async def list_channels(tenant_id: str, deps: GatewayDeps) -> list[Channel]:
    """The tenant's channels without their secrets (the console picks a number from them)."""
    async with deps.sessions() as session:
        await _require_tenant(session, tenant_id)
        records = await channel_store.records_of_tenant(session, tenant_id)
    return [_channel(record) for record in records]


async def disable_channel(tenant_id: str, phone_number_id: str, deps: GatewayDeps) -> Outcome:
    """Stop routing the number and tell the notifier (`disabled`, no token); idempotent."""
    async with deps.sessions() as session, session.begin():
        record = await channel_store.find_record(session, phone_number_id, for_update=True)
        if record is None or record.tenant_id != tenant_id:
            raise ChannelNotFoundError(f"tenant {tenant_id!r} has no channel {phone_number_id!r}")
        if record.status == "disabled":
            return "unchanged"
        record.status = "disabled"
        record.updated_at = utcnow()
        _stage_change(session, "disabled", record, None, deps.channel_box)
    deps.forget_routes()
    log.info("channel.disabled", tenant_id=tenant_id, phone_number_id=phone_number_id)
    return "disabled"
