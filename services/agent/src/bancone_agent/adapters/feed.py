"""The tenant's live feed (`GET /events`): rows of `feed_events`, numbered per tenant in
commit order, written in the very transactions that change what they announce.

Writers `stage` feed events like outbox events; just before the commit, one hook takes the
tenant's counter row (`feed_cursors`, an upsert `… RETURNING`, locked until commit) and numbers
and inserts them. Because the lock is held until commit, the tenant's numbers commit in
order: a reader that has seen number n can ask for `seq > n` and never miss a row that was
still in flight (a plain sequence would hand out n+1 to a transaction that commits after
n+2). The lock is taken last in each transaction, after the conversation or message row
locks, so it orders no deadlock and is held only for the final flush.

After a commit, readers in this process are woken at once; readers on another replica find
the rows on their next poll.

Each tenant keeps its newest `FEED_KEEP` events: whenever its numbers cross a multiple of
`PRUNE_EVERY`, the same hook deletes the older ones (by primary key, in that transaction).
Numbers stay contiguous, so a reader resuming from a pruned number sees the gap on its first
read and is told to reload (`entrypoints.feed`), never left with a silent hole.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from bancone_agent.adapters.tables import (
    ConversationRecord,
    FeedCursorRecord,
    FeedEventRecord,
    MessageRecord,
)
from bancone_agent.domain.delivery import needs_template
from bancone_agent.domain.operators import delivery_label
from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import dialect_insert

MESSAGE_RECEIVED: Final = "message.received"
MESSAGE_SENT: Final = "message.sent"
MESSAGE_STATUS: Final = "message.status"
CONVERSATION_CHANGED: Final = "conversation.changed"
NOTE_ADDED: Final = "note.added"
RESET: Final = "reset"
"""Sent instead of events that were pruned: the client reloads what it shows."""

FEED_KEEP = 10_000
"""Events kept per tenant (about days of a busy shop; the feed is for live updates and
reconnects, the conversations API is the history)."""
PRUNE_EVERY = 500

_STAGED = "bancone_agent_feed"
_EVENTS: sa.Table = FeedEventRecord.__table__  # type: ignore[attr-defined]
_readers: set[asyncio.Event] = set()


def message_item(m: MessageRecord) -> dict[str, Any]:
    """A message as the console shows it (the messages API and the feed say the same)."""
    return {
        "id": str(m.id),
        "direction": m.direction,
        "sender": m.sender,
        "operator_id": m.operator_id,
        "text": m.text,
        "kind": m.kind,
        "created_at": m.created_at.isoformat(),
        "delivery_status": None if m.is_note else delivery_label(m.delivery_status),
        "is_note": m.is_note,
        "delivery_error": None if m.is_note else m.delivery_error,
        "template_needed": not m.is_note and needs_template(m.delivery_status, m.delivery_error),
    }


def conversation_item(c: ConversationRecord, transition: str | None) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "state": c.state,
        "assigned_to": c.assigned_to,
        "operator_id": c.operator_id,
        "escalation_reason": c.escalation_reason,
        "transition": transition,
        "updated_at": c.updated_at.isoformat(),
    }


def stage(
    tx: AsyncSession, tenant_id: str, type_: str, conversation_id: uuid.UUID, item: dict[str, Any]
) -> None:
    """Announce `item` on the tenant's feed when `tx` commits (nothing if it rolls back)."""
    staged: list[tuple[str, str, uuid.UUID, dict[str, Any]]]
    staged = tx.sync_session.info.setdefault(_STAGED, [])
    staged.append((tenant_id, type_, conversation_id, item))


def stage_message(tx: AsyncSession, type_: str, m: MessageRecord) -> None:
    stage(tx, m.tenant_id, type_, m.conversation_id, message_item(m))


def stage_conversation(tx: AsyncSession, c: ConversationRecord, transition: str | None) -> None:
    stage(tx, c.tenant_id, CONVERSATION_CHANGED, c.id, conversation_item(c, transition))


@sa_event.listens_for(Session, "before_commit")
def _number_and_insert(session: Session) -> None:
    staged = session.info.pop(_STAGED, None)
    if not staged:
        return
    session.info[_STAGED + ".committed"] = True
    now = utcnow()
    by_tenant: dict[str, list[tuple[str, uuid.UUID, dict[str, Any]]]] = {}
    for tenant_id, type_, conversation_id, item in staged:
        by_tenant.setdefault(tenant_id, []).append((type_, conversation_id, item))
    for tenant_id in sorted(by_tenant):
        events = by_tenant[tenant_id]
        last = session.execute(_advance_cursor(session, tenant_id, len(events))).scalar_one()
        first = last - len(events) + 1
        # The table's INSERT, not the model's: the ORM's bulk-insert path costs more than the
        # statement for these plain rows (docs/benchmarks.md, issue 11).
        session.execute(
            _EVENTS.insert(),
            [
                {
                    "tenant_id": tenant_id,
                    "seq": first + n,
                    "type": type_,
                    "conversation_id": conversation_id,
                    "data": {"conversation_id": str(conversation_id), "item": item},
                    "created_at": now,
                }
                for n, (type_, conversation_id, item) in enumerate(events)
            ],
        )
        if last // PRUNE_EVERY != (first - 1) // PRUNE_EVERY and last > FEED_KEEP:
            session.execute(
                sa.delete(FeedEventRecord).where(
                    col(FeedEventRecord.tenant_id) == tenant_id,
                    col(FeedEventRecord.seq) <= last - FEED_KEEP,
                )
            )


def _advance_cursor(session: Session, tenant_id: str, count: int) -> Any:
    """The tenant's counter moved on by `count` (created on its first event), returning the
    new last number: one statement, which locks the row until commit."""
    table = FeedCursorRecord.__table__  # type: ignore[attr-defined]
    insert = dialect_insert(session.get_bind().dialect.name, table)
    return (
        insert.values(tenant_id=tenant_id, last_seq=count)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id],
            set_={"last_seq": table.c.last_seq + insert.excluded.last_seq},
        )
        .returning(table.c.last_seq)
    )


@sa_event.listens_for(Session, "after_commit")
def _wake_readers(session: Session) -> None:
    if session.info.pop(_STAGED + ".committed", False):
        for reader in list(_readers):
            reader.set()


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_STAGED, None)
    session.info.pop(_STAGED + ".committed", None)


class FeedWaiter:
    """Wakes a reader of this process when a feed event commits (or after `timeout`)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def __enter__(self) -> FeedWaiter:
        _readers.add(self._event)
        return self

    def __exit__(self, *_: object) -> None:
        _readers.discard(self._event)

    async def wait(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self._event.wait()
        except TimeoutError:
            pass
        self._event.clear()


async def events_after(
    session: AsyncSession, tenant_id: str, after: int, limit: int = 200
) -> list[FeedEventRecord]:
    """The tenant's feed events numbered after `after`, in order."""
    result = await session.scalars(
        sa.select(FeedEventRecord)
        .where(col(FeedEventRecord.tenant_id) == tenant_id, col(FeedEventRecord.seq) > after)
        .order_by(col(FeedEventRecord.seq))
        .limit(limit)
    )
    return list(result.all())


async def last_seq(session: AsyncSession, tenant_id: str) -> int:
    """The newest number of the tenant's feed (0 when it has none yet)."""
    found = await session.scalar(
        sa.select(col(FeedCursorRecord.last_seq)).where(
            col(FeedCursorRecord.tenant_id) == tenant_id
        )
    )
    return int(found or 0)
