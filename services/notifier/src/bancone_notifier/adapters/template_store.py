"""Queries on `message_templates`, each inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_notifier.adapters.tables import MessageTemplateRecord


async def find(
    session: AsyncSession, tenant_id: str, waba_id: str, name: str, language: str
) -> MessageTemplateRecord | None:
    statement = select(MessageTemplateRecord).where(
        MessageTemplateRecord.tenant_id == tenant_id,
        MessageTemplateRecord.waba_id == waba_id,
        MessageTemplateRecord.name == name,
        MessageTemplateRecord.language == language,
    )
    return (await session.exec(statement)).first()


async def status_and_components(
    session: AsyncSession, tenant_id: str, waba_id: str, name: str, language: str
) -> tuple[str, list[dict[str, Any]]] | None:
    """What a send checks of a template (`find`'s row, read in Core: once per send)."""
    table = MessageTemplateRecord.__table__  # type: ignore[attr-defined]
    statement = sa.select(table.c.status, table.c.components).where(
        table.c.tenant_id == tenant_id,
        table.c.waba_id == waba_id,
        table.c.name == name,
        table.c.language == language,
    )
    row = (await (await session.connection()).execute(statement)).first()
    return None if row is None else (str(row.status), list(row.components or []))


async def find_by_meta_id(
    session: AsyncSession, tenant_id: str, waba_id: str, meta_id: str
) -> MessageTemplateRecord | None:
    statement = select(MessageTemplateRecord).where(
        MessageTemplateRecord.tenant_id == tenant_id,
        MessageTemplateRecord.waba_id == waba_id,
        MessageTemplateRecord.meta_id == meta_id,
    )
    return (await session.exec(statement)).first()


async def get(
    session: AsyncSession, tenant_id: str, template_id: uuid.UUID
) -> MessageTemplateRecord | None:
    row = await session.get(MessageTemplateRecord, template_id)
    return row if row is not None and row.tenant_id == tenant_id else None


async def listed(
    session: AsyncSession, tenant_id: str, waba_id: str | None = None
) -> list[MessageTemplateRecord]:
    statement = select(MessageTemplateRecord).where(MessageTemplateRecord.tenant_id == tenant_id)
    if waba_id is not None:
        statement = statement.where(MessageTemplateRecord.waba_id == waba_id)
    statement = statement.order_by(
        col(MessageTemplateRecord.name), col(MessageTemplateRecord.language)
    )
    return list((await session.exec(statement)).all())


def _quality(item: Mapping[str, Any]) -> str | None:
    quality = item.get("quality_score")
    if isinstance(quality, Mapping):
        score = quality.get("score")
        return str(score)[:16] if score else None
    return str(quality)[:16] if isinstance(quality, str) and quality else None


async def upsert_from_graph(
    session: AsyncSession,
    tenant_id: str,
    waba_id: str,
    item: Mapping[str, Any],
    *,
    at: datetime,
) -> MessageTemplateRecord | None:
    """Store one template as the Graph API lists it; None if the item lacks a name or language."""
    name, language = item.get("name"), item.get("language")
    if not isinstance(name, str) or not isinstance(language, str):
        return None
    row = await find(session, tenant_id, waba_id, name, language)
    components = item.get("components")
    if row is None:
        row = MessageTemplateRecord(
            tenant_id=tenant_id,
            waba_id=waba_id,
            name=name,
            language=language,
            category="",
            components=[],
            status="PENDING",
            status_changed_at=at,
        )
        session.add(row)
    row.meta_id = str(item["id"]) if item.get("id") is not None else row.meta_id
    row.category = str(item.get("category") or row.category or "MARKETING").upper()[:16]
    if isinstance(components, list):
        row.components = [dict(c) for c in components if isinstance(c, Mapping)]
    status = item.get("status")
    if isinstance(status, str) and status and row.status != status.upper():
        row.status = status.upper()[:16]
        row.status_changed_at = at
    row.quality_score = _quality(item) or row.quality_score
    reason = item.get("rejected_reason")
    row.reason = str(reason)[:500] if isinstance(reason, str) and reason != "NONE" else row.reason
    row.synced_at = at
    row.updated_at = utcnow()
    return row


async def delete_named(session: AsyncSession, tenant_id: str, waba_id: str, name: str) -> int:
    result = await session.exec(
        sa.delete(MessageTemplateRecord).where(
            col(MessageTemplateRecord.tenant_id) == tenant_id,
            col(MessageTemplateRecord.waba_id) == waba_id,
            col(MessageTemplateRecord.name) == name,
        )
    )
    return int(result.rowcount or 0)


async def delete_missing(
    session: AsyncSession, tenant_id: str, waba_id: str, keep: set[uuid.UUID]
) -> int:
    """Drop the account's templates a full sync did not list (deleted at Meta)."""
    statement = sa.delete(MessageTemplateRecord).where(
        col(MessageTemplateRecord.tenant_id) == tenant_id,
        col(MessageTemplateRecord.waba_id) == waba_id,
    )
    if keep:
        statement = statement.where(col(MessageTemplateRecord.id).not_in(keep))
    result = await session.exec(statement)
    return int(result.rowcount or 0)
