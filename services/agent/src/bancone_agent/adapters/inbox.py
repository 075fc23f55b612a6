"""What operators read: the tenant's conversations (filtered, paged, waiting ones first, each
with its unread count and last message) and a conversation's messages, newest first.

Cursors are opaque to clients: base64 of the sort key of the last row served; the next page
continues strictly after it (keyset paging, stable while rows are added).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bancone_agent.adapters.tables import ConversationRecord, CustomerRecord, MessageRecord
from bancone_agent.domain.conversation import ConversationState


class BadCursorError(ValueError):
    """A cursor this API did not hand out."""


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as error:
        raise BadCursorError("the cursor is not one this API handed out") from error
    if not isinstance(values, list) or len(values) != size:
        raise BadCursorError("the cursor is not one this API handed out")
    return values


@dataclass(frozen=True)
class ConversationFilter:
    states: Sequence[str] = ()
    assigned_to: str | None = None
    customer: str | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class ConversationRow:
    conversation: ConversationRecord
    customer_name: str | None
    unread: int
    last_message: str | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_C = ConversationRecord
_M = MessageRecord


def _answered_at() -> Any:
    """When the shop last wrote in the conversation (the AI or a person; notes don't count)."""
    m = sa.orm.aliased(MessageRecord)
    return (
        sa.select(sa.func.max(col(m.created_at)))
        .where(
            col(m.tenant_id) == col(_C.tenant_id),
            col(m.conversation_id) == col(_C.id),
            col(m.direction) == "out",
            col(m.is_note).is_(False),
        )
        .scalar_subquery()
    )


def _unread() -> Any:
    m = sa.orm.aliased(MessageRecord)
    answered = _answered_at()
    return (
        sa.select(sa.func.count())
        .where(
            col(m.tenant_id) == col(_C.tenant_id),
            col(m.conversation_id) == col(_C.id),
            col(m.direction) == "in",
            sa.or_(answered.is_(None), col(m.created_at) > answered),
        )
        .scalar_subquery()
    )


def _last_text() -> Any:
    m = sa.orm.aliased(MessageRecord)
    return (
        sa.select(col(m.text))
        .where(
            col(m.tenant_id) == col(_C.tenant_id),
            col(m.conversation_id) == col(_C.id),
            col(m.is_note).is_(False),
        )
        .order_by(col(m.created_at).desc(), col(m.direction).desc())
        .limit(1)
        .scalar_subquery()
    )


def _priority() -> Any:
    """0 for conversations waiting for a person (listed first), 1 for the others."""
    return sa.case((col(_C.state) == ConversationState.WAITING_FOR_HUMAN.value, 0), else_=1)


def _filtered(query: Any, tenant_id: str, f: ConversationFilter) -> Any:
    query = query.where(col(_C.tenant_id) == tenant_id)
    if f.states:
        query = query.where(col(_C.state).in_(list(f.states)))
    if f.assigned_to is not None:
        query = query.where(col(_C.assigned_to) == f.assigned_to)
    if f.customer:
        pattern = _like(f.customer)
        query = query.where(
            sa.or_(
                col(_C.customer_id).ilike(pattern, escape="\\"),
                col(CustomerRecord.profile_name).ilike(pattern, escape="\\"),
            )
        )
    if f.text:
        m = sa.orm.aliased(MessageRecord)
        query = query.where(
            sa.exists().where(
                col(m.tenant_id) == col(_C.tenant_id),
                col(m.conversation_id) == col(_C.id),
                col(m.text).ilike(_like(f.text), escape="\\"),
            )
        )
    if f.since is not None:
        query = query.where(col(_C.updated_at) >= f.since)
    if f.until is not None:
        query = query.where(col(_C.updated_at) < f.until)
    return query


def _after(priority: Any, cursor: list[Any]) -> Any:
    p, updated, ident = int(cursor[0]), datetime.fromisoformat(cursor[1]), uuid.UUID(cursor[2])
    return sa.or_(
        priority > p,
        sa.and_(priority == p, col(_C.updated_at) < updated),
        sa.and_(priority == p, col(_C.updated_at) == updated, col(_C.id) < ident),
    )


async def list_conversations(
    session: AsyncSession,
    tenant_id: str,
    wanted: ConversationFilter,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[ConversationRow], str | None]:
    """A page of the tenant's conversations: waiting for a person first, then the most
    recently updated; and the cursor of the next page (None on the last)."""
    priority = _priority()
    query = sa.select(_C, col(CustomerRecord.profile_name), _unread(), _last_text(), priority).join(
        CustomerRecord,
        sa.and_(
            col(CustomerRecord.tenant_id) == col(_C.tenant_id),
            col(CustomerRecord.customer_id) == col(_C.customer_id),
        ),
    )
    query = _filtered(query, tenant_id, wanted)
    if cursor is not None:
        values = decode_cursor(cursor, 3)
        try:
            query = query.where(_after(priority, values))
        except (TypeError, ValueError) as error:
            raise BadCursorError("the cursor is not one this API handed out") from error
    query = query.order_by(priority, col(_C.updated_at).desc(), col(_C.id).desc()).limit(limit + 1)
    rows = (await session.execute(query)).all()
    page = [
        ConversationRow(conversation, name, int(unread), text)
        for conversation, name, unread, text, _ in rows[:limit]
    ]
    if len(rows) <= limit:
        return page, None
    last = rows[limit - 1]
    return page, encode_cursor([int(last[4]), last[0].updated_at.isoformat(), str(last[0].id)])


async def conversation_row(
    session: AsyncSession, tenant_id: str, conversation_id: uuid.UUID
) -> ConversationRow | None:
    """One conversation as the list shows it."""
    query = sa.select(_C, col(CustomerRecord.profile_name), _unread(), _last_text()).join(
        CustomerRecord,
        sa.and_(
            col(CustomerRecord.tenant_id) == col(_C.tenant_id),
            col(CustomerRecord.customer_id) == col(_C.customer_id),
        ),
    )
    query = query.where(col(_C.tenant_id) == tenant_id, col(_C.id) == conversation_id)
    found = (await session.execute(query)).first()
    if found is None:
        return None
    conversation, name, unread, text = found
    return ConversationRow(conversation, name, int(unread), text)


async def messages_page(
    session: AsyncSession,
    tenant_id: str,
    conversation_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[MessageRecord], str | None]:
    """A conversation's messages and notes, newest first, and the next page's cursor."""
    query = sa.select(MessageRecord).where(
        col(_M.tenant_id) == tenant_id, col(_M.conversation_id) == conversation_id
    )
    if cursor is not None:
        created, direction, ident = decode_cursor(cursor, 3)
        try:
            at, key = datetime.fromisoformat(created), uuid.UUID(ident)
        except (TypeError, ValueError) as error:
            raise BadCursorError("the cursor is not one this API handed out") from error
        query = query.where(
            sa.or_(
                col(_M.created_at) < at,
                sa.and_(col(_M.created_at) == at, col(_M.direction) < direction),
                sa.and_(col(_M.created_at) == at, col(_M.direction) == direction, col(_M.id) < key),
            )
        )
    query = query.order_by(
        col(_M.created_at).desc(), col(_M.direction).desc(), col(_M.id).desc()
    ).limit(limit + 1)
    rows = list((await session.scalars(query)).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor([last.created_at.isoformat(), last.direction, str(last.id)])
