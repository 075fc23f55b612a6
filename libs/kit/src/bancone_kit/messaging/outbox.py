"""Transactional outbox: events are rows written in the business transaction.

`stage` adds the row; committing the session both publishes nothing directly (no dual write)
and wakes the relay: an in-process signal always, plus `NOTIFY` on PostgreSQL so a relay in
another process wakes too — only when no relay of this database runs in this process (every
service runs its own, which publishes any replica's rows; the NOTIFY was one statement more in
every staging transaction, one per campaign send). The relay (`relay.py`) publishes and
marks rows sent.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bancone_contracts.envelope import Envelope
from bancone_kit.messaging.tables import OutboxRecord
from bancone_kit.messaging.tracecontext import current_carrier

NOTIFY_CHANNEL = "bancone_outbox"
_PENDING = "bancone_outbox_pending"

# Wake-up callbacks of the relays running in this process, by database URL.
_waiters: dict[str, weakref.WeakSet[_Waker]] = {}


class _Waker:
    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake


def register_waker(database_url: str, wake: Callable[[], None]) -> _Waker:
    """Call `wake` after every commit that staged events on this database; keep the handle."""
    waker = _Waker(wake)
    _waiters.setdefault(database_url, weakref.WeakSet()).add(waker)
    return waker


def stage(session: AsyncSession, event: Envelope[Any]) -> None:
    """Add `event` to the outbox inside the caller's transaction; the commit makes it durable."""
    carrier = current_carrier()
    if event.traceparent is None and "traceparent" in carrier:
        event = event.model_copy(update={"traceparent": carrier["traceparent"]})
    headers = {**event.kafka_headers(), **carrier}
    stage_raw(
        session,
        event_id=event.id,
        topic=event.topic,
        key=event.key(),
        headers=headers,
        payload=event.model_dump_json().encode(),
    )


def stage_raw(
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    topic: str,
    key: str,
    headers: dict[str, str],
    payload: bytes,
) -> None:
    """Add a record published as given (bytes, key, headers): replaying a dead letter.
    `event_id` names this outbox row (unique), not necessarily the event inside."""
    session.add(
        OutboxRecord(event_id=event_id, topic=topic, key=key, headers=headers, payload=payload)
    )
    session.sync_session.info[_PENDING] = True


def _database_url(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=False)


@sa_event.listens_for(Session, "before_commit")
def _notify_other_processes(session: Session) -> None:
    if not session.info.get(_PENDING) or session.get_bind().dialect.name != "postgresql":
        return
    if _waiters.get(_database_url(session)):
        return  # a relay of this process takes it (and any other replica's relay polls)
    session.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


@sa_event.listens_for(Session, "after_commit")
def _wake_local_relays(session: Session) -> None:
    if not session.info.pop(_PENDING, False):
        return
    for waker in list(_waiters.get(_database_url(session), ())):
        waker.wake()


@sa_event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
