"""The `Pacer` shared by every notifier replica, coordinated through the database.

A row per business number (`pacing_numbers`) holds its bucket as one timestamp
(`domain/pacing_slots.py`); a replica books send slots under that row's lock — a reply one at
a time (replies are few), campaign traffic `lease_size` at a time, kept in memory and handed to
its own senders, so 80/s costs about 20 writes/s on the row, not 80. A row per
(number, customer) pair (`pacing_pairs`) is claimed just before each send with one conditional
upsert. Meta's back-offs are written to the same rows, so every replica honours them. Last,
just before the request, the `DispatchGate` (`dispatch_gate.py`) keeps this replica's sends
within its share of the tier in any sliding second as they actually leave, replies first: a
slot is a time to wake up, and a busy event loop wakes late.
Why the database and not Kafka partitioning: docs/pacing.md.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import dialect_insert, insert_ignoring_conflict
from bancone_kit.logging import get_logger
from bancone_notifier.adapters.dispatch_gate import DispatchGate, WindowTicket
from bancone_notifier.adapters.pacing_clock import Clock, SystemClock
from bancone_notifier.adapters.tables import PacingNumberRecord, PacingPairRecord
from bancone_notifier.domain.pacing import Priority, Ticket
from bancone_notifier.domain.pacing_slots import (
    Booking,
    NumberState,
    PacingLimits,
    PairState,
    block,
    book_campaign,
    book_reply,
    pair_ready_at,
    still_usable,
)
from bancone_notifier.domain.replica_share import ReplicaShare
from bancone_notifier.metrics import SLOTS_DROPPED

log = get_logger(__name__)

_NUMBERS: sa.Table = PacingNumberRecord.__table__  # type: ignore[attr-defined]
_PAIRS: sa.Table = PacingPairRecord.__table__  # type: ignore[attr-defined]


_WINDOW_HOLD_ALLOWANCE = 1.5
"""Seconds added to a pair's spacing at its claim: the dispatch window holds a send after it."""

_REPLY_WAIT_WORTH_LOGGING = 0.1
"""A reply held longer than this by pacing is logged (campaign traffic, a back-off)."""


LimitsFor = Callable[[float | None], PacingLimits]
"""The limits of a number from its own tier (the row's `tier_per_second`, None = the setting)."""


class DatabasePacer:
    """Books send slots on the database's shared timeline; see the module docstring."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        limits_for: LimitsFor,
        *,
        clock: Clock | None = None,
        late_tolerance_seconds: float = 0.025,
        share: ReplicaShare | None = None,
    ) -> None:
        """`share`: this replica's part of each tier (None: the whole tier, one replica)."""
        self._sessions = sessions
        self._limits_for = limits_for
        self._clock: Clock = clock or SystemClock()
        self._gate = DispatchGate(self._clock, share)
        self._late = late_tolerance_seconds
        self._leases: dict[str, deque[float]] = defaultdict(deque)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._number_blocks: dict[str, float] = {}
        self._pair_blocks: dict[tuple[str, str], float] = {}
        self._writes: set[asyncio.Task[None]] = set()
        self._latencies: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=8))
        self._limits: dict[str, PacingLimits] = {}
        self.number_writes = 0
        """Bookings written to the numbers' rows by this replica (leases count once)."""
        self.dropped_slots = 0
        """Leased slots that went stale unused (the replica could not keep up)."""

    @property
    def window_holds(self) -> int:
        """Sends held by the dispatch window (woken late, they would have bunched)."""
        return self._gate.holds

    # --- the port ------------------------------------------------------------------------------

    async def acquire(self, phone_number_id: str, recipient: str, priority: Priority) -> Ticket:
        return (await self.granted(phone_number_id, recipient, priority))[1]

    def back_off(
        self, phone_number_id: str, recipient: str | None, retry_after_seconds: float
    ) -> None:
        """Hold at once in this replica; the database write (for the others) follows in the
        background, since the port's callers do not wait on it."""
        until = self._clock.now() + max(retry_after_seconds, 0.0)
        if recipient is None:
            self._number_blocks[phone_number_id] = max(
                self._number_blocks.get(phone_number_id, 0.0), until
            )
            self._leases[phone_number_id].clear()
        else:
            key = (phone_number_id, recipient)
            self._pair_blocks[key] = max(self._pair_blocks.get(key, 0.0), until)
        log.warning(
            "pacing.back_off",
            phone_number_id=phone_number_id,
            pair=recipient is not None,
            seconds=retry_after_seconds,
        )
        task = asyncio.get_running_loop().create_task(
            self.record_back_off(phone_number_id, recipient, until)
        )
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    # --- granting ------------------------------------------------------------------------------

    async def grant(self, phone_number_id: str, recipient: str, priority: Priority) -> float:
        """Wait for a slot of the number, the pair's turn and room in the dispatch window;
        returns the slot's time."""
        return (await self.granted(phone_number_id, recipient, priority))[0]

    async def granted(
        self, phone_number_id: str, recipient: str, priority: Priority
    ) -> tuple[float, WindowTicket]:
        """`grant`, with the ticket to tell when the send is answered."""
        asked = self._clock.now()
        while True:
            await self._gate.until_joined()
            await self._wait_for_pair(phone_number_id, recipient)
            if priority == "reply":
                slot = await self._reply_slot(phone_number_id)
            else:
                slot = await self._campaign_slot(phone_number_id)
            await self._clock.sleep(slot - self._clock.now())
            if await self._claim_pair(phone_number_id, recipient, priority):
                # Last before the request: anything after it is time the window does not see.
                limits = self._limits.get(phone_number_id) or self._limits_for(None)
                ticket = await self._gate.admit(phone_number_id, limits, priority)
                if priority == "reply" and slot - asked > _REPLY_WAIT_WORTH_LOGGING:
                    log.info(
                        "pacing.reply_waited",
                        phone_number_id=phone_number_id,
                        seconds=round(slot - asked, 3),
                    )
                return slot, ticket
            # Another replica messaged this customer meanwhile: the slot goes unused.

    async def _wait_for_pair(self, phone_number_id: str, recipient: str) -> None:
        """Sleep out what this replica knows of the pair (a back-off, a lost claim)."""
        local = self._pair_blocks.get((phone_number_id, recipient), 0.0)
        wait = local - self._clock.now()
        if wait > 0:
            await self._clock.sleep(wait)

    async def _reply_slot(self, phone_number_id: str) -> float:
        asked = self._clock.now()
        async with self._sessions() as session, session.begin():
            state, limits = await self._locked_number(session, phone_number_id)
            booking = book_reply(
                self._with_local_block(phone_number_id, state),
                self._earliest(phone_number_id),
                limits,
            )
            await self._store(session, phone_number_id, booking)
        self._latencies[phone_number_id].append(self._clock.now() - asked)
        return booking.slots[0]

    def _earliest(self, phone_number_id: str) -> float:
        """Now plus how long this replica's recent bookings took to come back (the worst of
        the last 8, at most 1 s): slots start when the booker can actually use them."""
        recent = self._latencies[phone_number_id]
        return self._clock.now() + min(max(recent, default=0.0), 1.0)

    async def _campaign_slot(self, phone_number_id: str) -> float:
        leases = self._leases[phone_number_id]
        while True:
            async with self._locks[phone_number_id]:
                now = self._clock.now()
                while leases and not still_usable(leases[0], now, self._late):
                    leases.popleft()
                    self.dropped_slots += 1
                    SLOTS_DROPPED.inc()
                if leases:
                    return leases.popleft()
                booking = await self._lease(phone_number_id)
                if booking.slots:
                    leases.extend(booking.slots[1:])
                    return booking.slots[0]
            assert booking.retry_at is not None
            await self._clock.sleep(max(booking.retry_at - self._clock.now(), 0.001))

    async def _lease(self, phone_number_id: str) -> Booking:
        asked = self._clock.now()
        async with self._sessions() as session, session.begin():
            state, limits = await self._locked_number(session, phone_number_id)
            booking = book_campaign(
                self._with_local_block(phone_number_id, state),
                self._earliest(phone_number_id),
                limits,
            )
            if booking.slots:
                await self._store(session, phone_number_id, booking)
        self._latencies[phone_number_id].append(self._clock.now() - asked)
        return booking

    def _with_local_block(self, phone_number_id: str, state: NumberState) -> NumberState:
        return block(state, self._number_blocks.get(phone_number_id, 0.0))

    async def _locked_number(
        self, session: AsyncSession, phone_number_id: str
    ) -> tuple[NumberState, PacingLimits]:
        """The number's row under its lock (created on first use)."""
        locked = (
            sa.select(_NUMBERS.c.next_slot_at, _NUMBERS.c.blocked_until, _NUMBERS.c.tier_per_second)
            .where(_NUMBERS.c.phone_number_id == phone_number_id)
            .with_for_update()
        )
        connection = await session.connection()
        row = (await connection.execute(locked)).first()
        if row is None:
            await insert_ignoring_conflict(
                session,
                PacingNumberRecord,
                {
                    "phone_number_id": phone_number_id,
                    "next_slot_at": 0.0,
                    "blocked_until": 0.0,
                    "updated_at": utcnow(),
                },
            )
            row = (await connection.execute(locked)).one()
        limits = self._limits[phone_number_id] = self._limits_for(row.tier_per_second)
        return NumberState(row.next_slot_at, row.blocked_until), limits

    async def _store(self, session: AsyncSession, phone_number_id: str, booking: Booking) -> None:
        self.number_writes += 1
        await (await session.connection()).execute(
            sa.update(_NUMBERS)
            .where(_NUMBERS.c.phone_number_id == phone_number_id)
            .values(next_slot_at=booking.state.next_slot_at, updated_at=utcnow())
        )

    async def _claim_pair(self, phone_number_id: str, recipient: str, priority: Priority) -> bool:
        """Record the send for the pair if its turn has come: one conditional upsert, atomic on
        its own, so it runs without BEGIN and COMMIT (two round trips fewer per send)."""
        now = self._clock.now()
        async with self._sessions() as session:
            limits = self._limits_for(None)
            # The dispatch window may hold the send after this claim (about a second at
            # most, but for a stall), and the pair's next message must not arrive sooner.
            spacing = limits.pair_interval_seconds + _WINDOW_HOLD_ALLOWANCE
            connection = await session.connection(
                execution_options={"isolation_level": "AUTOCOMMIT"}
            )
            insert = dialect_insert(connection.dialect.name, _PAIRS)
            ready = _PAIRS.c.blocked_until <= now
            if priority == "campaign":
                ready = sa.and_(ready, _PAIRS.c.next_at <= now)
            statement = (
                insert.values(
                    phone_number_id=phone_number_id,
                    customer_id=recipient,
                    next_at=now + spacing,
                    blocked_until=0.0,
                )
                .on_conflict_do_update(
                    index_elements=["phone_number_id", "customer_id"],
                    set_={"next_at": now + spacing},
                    where=ready,
                )
                .returning(_PAIRS.c.next_at)
            )
            claimed = (await connection.execute(statement)).first() is not None
            if claimed:
                return True
            row = (
                await connection.execute(
                    sa.select(_PAIRS.c.next_at, _PAIRS.c.blocked_until).where(
                        _PAIRS.c.phone_number_id == phone_number_id,
                        _PAIRS.c.customer_id == recipient,
                    )
                )
            ).one()
        ready_at = pair_ready_at(PairState(row.next_at, row.blocked_until), priority)
        key = (phone_number_id, recipient)
        self._pair_blocks[key] = max(self._pair_blocks.get(key, 0.0), ready_at)
        return False

    # --- back-off, shared ------------------------------------------------------------------------

    async def record_back_off(
        self, phone_number_id: str, recipient: str | None, until: float
    ) -> None:
        """Write a back-off for every replica (the row keeps the later of two blocks)."""
        try:
            async with self._sessions() as session, session.begin():
                if recipient is None:
                    state, _ = await self._locked_number(session, phone_number_id)
                    await (await session.connection()).execute(
                        sa.update(_NUMBERS)
                        .where(_NUMBERS.c.phone_number_id == phone_number_id)
                        .values(
                            blocked_until=block(state, until).blocked_until, updated_at=utcnow()
                        )
                    )
                    return
                connection = await session.connection()
                await connection.execute(
                    dialect_insert(connection.dialect.name, _PAIRS)
                    .values(
                        phone_number_id=phone_number_id,
                        customer_id=recipient,
                        next_at=until,
                        blocked_until=until,
                    )
                    .on_conflict_do_update(
                        index_elements=["phone_number_id", "customer_id"],
                        set_={"blocked_until": until},
                        where=_PAIRS.c.blocked_until < until,
                    )
                )
        except Exception:  # a lost write only weakens the hint for other replicas
            log.exception("pacing.back_off_not_recorded", phone_number_id=phone_number_id)

    async def drain(self) -> None:
        """Wait for back-off writes still in flight (shutdown, tests)."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
