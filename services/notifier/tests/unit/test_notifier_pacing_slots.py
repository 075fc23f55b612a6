"""The pacing arithmetic on a fake timeline: slots never exceed the tier in any second,
campaign traffic books only a short horizon ahead so replies go first, Meta's back-offs hold
the number or the pair, and refusals map to the right back-off."""

from __future__ import annotations

import itertools
import random

import pytest

from bancone_notifier.domain.pacing_slots import (
    Backoff,
    NumberState,
    PacingLimits,
    PairState,
    backoff_for,
    block,
    book_campaign,
    book_reply,
    pair_ready_at,
    priority_of,
    still_usable,
)
from bancone_notifier.domain.sending import GraphError

pytestmark = pytest.mark.unit

LIMITS = PacingLimits(rate_per_second=80.0, campaign_horizon_seconds=0.25, lease_size=4)
T0 = 1_800_000_000.0


def most_in_any_second(slots: list[float]) -> int:
    """The largest number of slots inside any half-open window [t, t + 1)."""
    ordered = sorted(slots)
    best, start = 0, 0
    for end, slot in enumerate(ordered):
        while slot - ordered[start] >= 1.0 - 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_replies_booked_at_the_same_moment_are_spaced_by_the_interval() -> None:
    state = NumberState()
    slots: list[float] = []
    for _ in range(3):
        booking = book_reply(state, T0, LIMITS)
        slots.extend(booking.slots)
        state = booking.state
    assert slots == pytest.approx([T0, T0 + 1 / 80, T0 + 2 / 80], abs=1e-5)


def test_an_idle_number_builds_no_burst_credit() -> None:
    booking = book_reply(NumberState(next_slot_at=T0 - 3600), T0, LIMITS)
    assert booking.slots == (T0,)
    assert booking.state.next_slot_at == pytest.approx(T0 + 1 / 80, abs=1e-5)


def test_campaign_leases_stop_at_the_horizon_and_say_when_to_ask_again() -> None:
    state = NumberState()
    leased: list[float] = []
    while True:
        booking = book_campaign(state, T0, LIMITS)
        if not booking.slots:
            break
        assert len(booking.slots) == LIMITS.lease_size
        leased.extend(booking.slots)
        state = booking.state
    assert len(leased) == 20  # 0.25 s at 80/s
    assert max(leased) < T0 + LIMITS.campaign_horizon_seconds
    # A whole lease fits again once the horizon has moved four slots on.
    assert booking.retry_at == pytest.approx(T0 + 23 / 80 - 0.25, abs=1e-5)
    assert booking.retry_at is not None
    assert book_campaign(state, booking.retry_at - 1 / 80, LIMITS).slots == ()
    later = book_campaign(state, booking.retry_at, LIMITS)
    assert later.slots == pytest.approx([T0 + i / 80 for i in range(20, 24)], abs=1e-5)


def test_a_saturated_campaign_books_whole_leases_not_one_slot_per_write() -> None:
    state, now, writes, slots = NumberState(), T0, 0, 0
    while now < T0 + 10:
        booking = book_campaign(state, now, LIMITS)
        if booking.slots:
            writes += 1
            slots += len(booking.slots)
            state = booking.state
        else:
            assert booking.retry_at is not None
            now = max(booking.retry_at, now + 0.001)  # asks again as soon as it may
    assert slots >= 790  # 80/s for 10 s (plus the first horizon)
    assert writes == slots // LIMITS.lease_size


def test_a_reply_waits_at_most_the_horizon_behind_a_saturated_campaign() -> None:
    state = NumberState()
    for _ in range(10):
        booking = book_campaign(state, T0, LIMITS)
        state = booking.state
    reply = book_reply(state, T0, LIMITS)
    assert reply.slots[0] - T0 <= LIMITS.campaign_horizon_seconds
    # and the campaign gets only what the reply left: its next slot comes after the reply's
    after = book_campaign(reply.state, reply.slots[0], LIMITS)
    assert not after.slots or after.slots[0] > reply.slots[0]


def test_mixed_traffic_from_many_bookers_never_exceeds_the_rate_in_any_second() -> None:
    rng = random.Random(13)
    state = NumberState()
    now = T0
    slots: list[float] = []
    for _ in range(5000):
        now += rng.expovariate(200.0)  # bookers ask faster than the tier
        if rng.random() < 0.1:
            booking = book_reply(state, now, LIMITS)
        else:
            booking = book_campaign(state, now, LIMITS, wanted=rng.randint(1, 4))
        slots.extend(booking.slots)
        state = booking.state
    assert len(slots) > 1000
    assert most_in_any_second(slots) <= 80
    assert all(b - a >= 1 / 80 - 1e-6 for a, b in itertools.pairwise(slots))


def test_the_margin_books_below_the_tier() -> None:
    limits = PacingLimits.for_tier(80, margin=0.02)
    assert limits.rate_per_second == pytest.approx(78.4, abs=1e-5)
    with pytest.raises(ValueError, match="margin"):
        PacingLimits.for_tier(80, margin=1.0)


def test_a_back_off_pushes_every_slot_past_it_and_is_never_shortened() -> None:
    state = block(NumberState(next_slot_at=T0), T0 + 2.0)
    assert book_reply(state, T0, LIMITS).slots == (T0 + 2.0,)
    # a whole lease (4 slots) fits once the horizon reaches the block plus 3 slots
    retry_at = book_campaign(state, T0, LIMITS).retry_at
    assert retry_at == pytest.approx(T0 + 2.0 + 3 / 80 - 0.25, abs=1e-5)
    assert block(state, T0 + 1.0).blocked_until == T0 + 2.0


def test_stale_leased_slots_are_dropped_not_bunched() -> None:
    assert still_usable(T0, T0 + 0.02, tolerance=0.025)
    assert not still_usable(T0, T0 + 0.03, tolerance=0.025)


def test_replies_skip_the_pair_spacing_but_keep_a_pair_back_off() -> None:
    spaced = PairState(next_at=T0 + 6.0)
    assert pair_ready_at(spaced, "reply") == 0.0
    assert pair_ready_at(spaced, "campaign") == T0 + 6.0
    blocked = PairState(next_at=T0, blocked_until=T0 + 10.0)
    assert pair_ready_at(blocked, "reply") == T0 + 10.0
    assert pair_ready_at(blocked, "campaign") == T0 + 10.0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (GraphError(429, 130429), Backoff("number", 1.0)),
        (GraphError(429, 130429, retry_after_seconds=3.0), Backoff("number", 3.0)),
        (GraphError(400, 131056), Backoff("pair", 6.0)),
        (GraphError(400, 131056, retry_after_seconds=8.0), Backoff("pair", 8.0)),
        (GraphError(429, 80007, retry_after_seconds=2.0), Backoff("number", 2.0)),
        (GraphError(503, None, retry_after_seconds=5.0), Backoff("number", 5.0)),
        (GraphError(503, None), None),
        (GraphError(400, 131047, retry_after_seconds=5.0), None),
    ],
)
def test_refusals_map_to_back_offs(error: GraphError, expected: Backoff | None) -> None:
    assert backoff_for(error) == expected


@pytest.mark.parametrize(
    ("kind", "category", "priority"),
    [
        ("text", None, "reply"),
        ("buttons", None, "reply"),
        ("template", "utility", "reply"),
        ("template", "authentication", "reply"),
        ("template", "marketing", "campaign"),
        ("template", None, "campaign"),
    ],
)
def test_only_marketing_templates_go_at_campaign_priority(
    kind: str, category: str | None, priority: str
) -> None:
    assert priority_of(kind, category) == priority
