"""Reading and writing channels, sealing and opening their secrets on the way."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters.tables import ChannelRecord
from bancone_gateway.domain.channels import (
    SECRET_FIELDS,
    ChannelCredentials,
    ChannelStatus,
    SecretField,
    StoredChannel,
    at_rest_aad,
    verify_token_digest,
)
from bancone_kit.clock import utcnow
from bancone_kit.crypto import SecretBox


def _sealed_column(field: SecretField) -> str:
    return f"{field}_sealed"


def open_channel(record: ChannelRecord, box: SecretBox) -> StoredChannel:
    """The record with its secrets opened (raises `SecretBoxError` if a key is missing)."""
    pnid = record.phone_number_id
    secrets = {
        field: box.open(getattr(record, _sealed_column(field)), at_rest_aad(pnid, field))
        for field in SECRET_FIELDS
    }
    status: ChannelStatus = "active" if record.status == "active" else "disabled"
    return StoredChannel(
        tenant_id=record.tenant_id,
        phone_number_id=pnid,
        status=status,
        waba_id=record.waba_id,
        display_phone_number=record.display_phone_number,
        secrets=secrets,
    )


async def find_record(
    session: AsyncSession, phone_number_id: str, *, for_update: bool = False
) -> ChannelRecord | None:
    query = select(ChannelRecord).where(col(ChannelRecord.phone_number_id) == phone_number_id)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).one_or_none()


async def records_of_tenant(session: AsyncSession, tenant_id: str) -> list[ChannelRecord]:
    """Every channel of the tenant (active and disabled), by phone number id."""
    query = (
        select(ChannelRecord)
        .where(col(ChannelRecord.tenant_id) == tenant_id)
        .order_by(col(ChannelRecord.phone_number_id))
    )
    return list((await session.exec(query)).all())


async def active_records(
    session: AsyncSession, phone_number_ids: Iterable[str] | None = None
) -> list[ChannelRecord]:
    """Active channels, all of them or those of the given phone_number_ids."""
    query = select(ChannelRecord).where(col(ChannelRecord.status) == "active")
    if phone_number_ids is not None:
        query = query.where(col(ChannelRecord.phone_number_id).in_(list(phone_number_ids)))
    return list((await session.exec(query)).all())


async def active_records_of_wabas(
    session: AsyncSession, waba_ids: Iterable[str]
) -> list[ChannelRecord]:
    """Active channels of the given WhatsApp Business Accounts (template/account notices)."""
    query = select(ChannelRecord).where(
        col(ChannelRecord.status) == "active", col(ChannelRecord.waba_id).in_(list(waba_ids))
    )
    return list((await session.exec(query)).all())


async def records_by_verify_token(session: AsyncSession, verify_token: str) -> list[ChannelRecord]:
    """Active channels whose verify token may be `verify_token`: those indexed by its digest,
    plus any registered before the digest existed (NULL), which the caller opens to compare."""
    digest = verify_token_digest(verify_token)
    query = select(ChannelRecord).where(
        col(ChannelRecord.status) == "active",
        (col(ChannelRecord.verify_token_digest) == digest)
        | col(ChannelRecord.verify_token_digest).is_(None),
    )
    return list((await session.exec(query)).all())


def write_credentials(
    record: ChannelRecord, credentials: ChannelCredentials, box: SecretBox
) -> None:
    """Seal every secret into the record and make it active."""
    pnid = record.phone_number_id
    for field in SECRET_FIELDS:
        sealed = box.seal(credentials.secret(field), at_rest_aad(pnid, field))
        setattr(record, _sealed_column(field), sealed)
    if credentials.waba_id is not None:
        record.waba_id = credentials.waba_id
    if credentials.display_phone_number is not None:
        record.display_phone_number = credentials.display_phone_number
    record.verify_token_digest = verify_token_digest(credentials.secret("verify_token"))
    record.status = "active"
    record.updated_at = utcnow()


def new_record(
    tenant_id: str, phone_number_id: str, credentials: ChannelCredentials, box: SecretBox
) -> ChannelRecord:
    record = ChannelRecord(
        phone_number_id=phone_number_id,
        tenant_id=tenant_id,
        verify_token_sealed="",
        app_secret_sealed="",
        access_token_sealed="",
        status="active",
    )
    write_credentials(record, credentials, box)
    return record


def needs_reseal(record: ChannelRecord, box: SecretBox) -> bool:
    """Whether a secret is still sealed with an older key of the keyring."""
    return not all(box.is_current(getattr(record, _sealed_column(f))) for f in SECRET_FIELDS)
