"""The arithmetic of pacing, pure: send slots on a shared timeline, leases, pair spacing, and
what a Graph refusal means for them. Times are seconds since the epoch (every replica reads
the same wall clock; the adapter keeps the state in the database). See docs/pacing.md.

A number's bucket is kept as GCRA ("generic cell rate"): one value, `next_slot_at`, the first
moment no send is booked yet. Booking n sends hands out n slots `interval` apart starting at
`max(next_slot_at, blocked_until, now)` and moves the value on by `n * interval`. No burst
credit builds up while idle, so in any second at most `rate` slots fall, whoever booked them.
Campaign traffic may only book slots that start within `campaign_horizon` of now; a reply
books the next free slot at once, so it waits at most that horizon behind campaign traffic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from bancone_notifier.domain.categories import is_marketing
from bancone_notifier.domain.pacing import Priority
from bancone_notifier.domain.sending import GraphError

THROUGHPUT_CODE = 130429
PAIR_CODE = 131056
_EPSILON = 1e-6
"""Seconds: epoch times carry about 0.2 µs of float rounding."""


@dataclass(frozen=True)
class PacingLimits:
    """How fast one number goes, how its slots are shared out, and the pair spacing."""

    rate_per_second: float
    """The rate the pacer books at: the tier less the safety margin."""
    pair_interval_seconds: float = 6.0
    campaign_horizon_seconds: float = 0.25
    lease_size: int = 4
    """Campaign slots a replica books per database write (80/s at 4 = 20 writes/s)."""
    tier_per_second: float | None = None
    """Meta's count in any sliding second (None: `rate_per_second`): the most sends each
    replica's `DispatchWindow` lets arrive within one second."""
    unanswered_expiry_seconds: float = 15.0
    """An unanswered send counts in the dispatch window as arriving now, for at most this long
    after it left (a request whose answer never came: its task was cancelled)."""

    def __post_init__(self) -> None:
        if self.rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        if self.lease_size < 1:
            raise ValueError("lease_size must be at least 1")
        if self.unanswered_expiry_seconds <= 0:
            raise ValueError("unanswered_expiry_seconds must be positive")

    @property
    def interval(self) -> float:
        return 1.0 / self.rate_per_second

    @property
    def window_cap(self) -> int:
        return max(1, math.floor((self.tier_per_second or self.rate_per_second) + _EPSILON))

    @classmethod
    def for_tier(
        cls,
        tier_per_second: float,
        *,
        margin: float = 0.0,
        pair_interval_seconds: float = 6.0,
        campaign_horizon_seconds: float = 0.25,
        lease_size: int = 4,
        unanswered_expiry_seconds: float = 15.0,
    ) -> PacingLimits:
        """Limits that book at `tier * (1 - margin)`: the margin absorbs network jitter between
        our slot and Meta's count (a send that leaves 2 ms late lands next to the next one)."""
        if not 0 <= margin < 1:
            raise ValueError("margin is a fraction in [0, 1)")
        return cls(
            rate_per_second=tier_per_second * (1.0 - margin),
            pair_interval_seconds=pair_interval_seconds,
            campaign_horizon_seconds=campaign_horizon_seconds,
            lease_size=lease_size,
            tier_per_second=tier_per_second,
            unanswered_expiry_seconds=unanswered_expiry_seconds,
        )


@dataclass(frozen=True)
class NumberState:
    """One number's shared bucket: the first unbooked moment, and Meta's back-off."""

    next_slot_at: float = 0.0
    blocked_until: float = 0.0

    def first_free(self, now: float) -> float:
        return max(self.next_slot_at, self.blocked_until, now)


@dataclass(frozen=True)
class Booking:
    """Slots handed out (ascending), the bucket after them, and — when none could be given —
    the earliest moment worth asking again."""

    slots: tuple[float, ...]
    state: NumberState
    retry_at: float | None = None


def book_reply(state: NumberState, now: float, limits: PacingLimits) -> Booking:
    """A conversation reply takes the next free slot, whatever campaigns have booked.

    `now` here and below is the earliest moment the booker can use a slot: the adapter adds
    its own booking latency (a slot handed out already past would go late and crowd the next).
    """
    slot = state.first_free(now)
    return Booking((slot,), replace(state, next_slot_at=slot + limits.interval))


def book_campaign(
    state: NumberState, now: float, limits: PacingLimits, wanted: int | None = None
) -> Booking:
    """Campaign slots: `wanted` (the lease size) of them, only those starting before
    `now + campaign_horizon`, and only once that many fit — a saturated campaign that leased
    each slot as it freed up would write the number's row once per send. None given →
    `retry_at` says when they will fit."""
    wanted = limits.lease_size if wanted is None else wanted
    fits = max(1, math.floor(limits.campaign_horizon_seconds / limits.interval + _EPSILON))
    wanted = max(1, min(wanted, fits))
    start = state.first_free(now)
    horizon_end = now + limits.campaign_horizon_seconds
    room = math.ceil((horizon_end - start - _EPSILON) / limits.interval)
    if room < wanted:
        # `wanted` slots fit once `now + horizon` passes the last of them.
        last = start + (wanted - 1) * limits.interval
        return Booking(
            (), state, retry_at=max(last - limits.campaign_horizon_seconds + 2 * _EPSILON, now)
        )
    slots = tuple(start + i * limits.interval for i in range(wanted))
    return Booking(slots, replace(state, next_slot_at=start + wanted * limits.interval))


def still_usable(slot: float, now: float, tolerance: float) -> bool:
    """A leased slot used later than `tolerance` after its time would crowd the next ones:
    it is dropped (the rate falls a little; it never rises)."""
    return slot >= now - tolerance


def block(state: NumberState, until: float) -> NumberState:
    """Meta said too fast: nothing for this number before `until` (never shortens a block)."""
    return replace(state, blocked_until=max(state.blocked_until, until))


@dataclass(frozen=True)
class PairState:
    """One (number, customer) pair: when the next message may go, and Meta's back-off."""

    next_at: float = 0.0
    blocked_until: float = 0.0


def pair_ready_at(pair: PairState, priority: Priority) -> float:
    """When this pair may get a message. Replies keep to a 131056 back-off only: a conversation
    (a human answer, then the AI's, a message in parts) is what Meta's burst tolerance is for,
    and the customer is waiting. Campaign messages keep the full spacing after any message."""
    if priority == "reply":
        return pair.blocked_until
    return max(pair.next_at, pair.blocked_until)


def pair_after_send(pair: PairState, now: float, limits: PacingLimits) -> PairState:
    return replace(pair, next_at=now + limits.pair_interval_seconds)


def priority_of(content_kind: str, template_category: str | None) -> Priority:
    """Marketing templates (`categories.is_marketing`: an absent category counts, as for
    consent) go at campaign priority; everything else — free-form replies, utility and
    authentication templates (an order update, a code) — is conversation traffic and goes
    first."""
    return "campaign" if is_marketing(content_kind, template_category) else "reply"


@dataclass(frozen=True)
class Backoff:
    """What a refusal asks of the pacer: hold the number, or only the pair, for `seconds`."""

    scope: Literal["number", "pair"]
    seconds: float


def backoff_for(
    error: GraphError, *, number_seconds: float = 1.0, pair_seconds: float = 6.0
) -> Backoff | None:
    """130429 → the number; 131056 → the pair; any other 429 or 5xx that names a
    `Retry-After` → the number. Meta's `Retry-After` wins over the defaults when given."""
    hint = error.retry_after_seconds
    if error.code == THROUGHPUT_CODE:
        return Backoff("number", number_seconds if hint is None else hint)
    if error.code == PAIR_CODE:
        return Backoff("pair", pair_seconds if hint is None else hint)
    if hint is not None and (error.http_status == 429 or error.http_status >= 500):
        return Backoff("number", hint)
    return None
