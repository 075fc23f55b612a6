"""The dispatch window: at most `cap` sends in any `span`, whenever the sends try to leave."""

from __future__ import annotations

import pytest

from bancone_notifier.domain.dispatch_window import DispatchWindow
from bancone_notifier.domain.pacing_slots import PacingLimits

pytestmark = pytest.mark.unit


def test_sends_go_at_once_until_the_window_is_full() -> None:
    window = DispatchWindow(cap=3, ceiling=0.0)
    for at in (10.0, 10.1, 10.2):
        assert window.wait(at) == 0.0
        window.record(at)
    assert window.wait(10.3) == pytest.approx(0.7)


def test_late_sends_push_the_next_ones_back_instead_of_bunching() -> None:
    """Three sends woken together after a stall: with a cap of 2 a second, the third holds
    until the first of them is a second old, and so on."""
    window = DispatchWindow(cap=2, ceiling=0.0)
    left: list[float] = []
    now = 5.0
    for _ in range(6):
        now += window.wait(now)
        window.record(now)
        left.append(now)
    assert left == pytest.approx([5.0, 5.0, 6.0, 6.0, 7.0, 7.0])


def test_an_unanswered_send_counts_until_its_ceiling_an_answered_one_until_its_answer() -> None:
    """A send may arrive at Meta any time before its answer: the window counts it from
    leaving until then, or until `ceiling` after leaving while no answer has come."""
    window = DispatchWindow(cap=1, ceiling=0.2)
    first = window.record(1.0)
    assert window.wait(1.5) == pytest.approx(0.7), "unanswered: may have arrived at 1.2"
    first.answered(1.05)
    assert window.wait(1.5) == pytest.approx(0.55), "answered at 1.05: arrived by then"
    assert window.wait(2.05) == 0.0


def test_the_window_counts_the_latest_arrivals_not_the_order_of_leaving() -> None:
    """An early send answered late holds the window longer than a later one answered fast."""
    window = DispatchWindow(cap=2, ceiling=0.5)
    slow, fast = window.record(0.0), window.record(0.1)
    fast.answered(0.11)
    slow.answered(0.4)
    # Both may have arrived within a second before 1.05; room again once `fast` is a second old.
    assert window.wait(1.05) == pytest.approx(0.06)


def test_a_window_needs_a_positive_cap_and_no_negative_ceiling() -> None:
    with pytest.raises(ValueError, match="cap"):
        DispatchWindow(cap=0, ceiling=0.1)
    with pytest.raises(ValueError, match="ceiling"):
        DispatchWindow(cap=1, ceiling=-0.1)


def test_the_window_holds_the_tier_not_the_booking_rate() -> None:
    """Slots are booked at the tier less the margin; the window counts Meta's own limit."""
    limits = PacingLimits.for_tier(80, margin=0.02, arrival_ceiling_seconds=0.1)
    assert limits.rate_per_second == pytest.approx(78.4)
    assert limits.window_cap == 80
    assert limits.arrival_ceiling_seconds == pytest.approx(0.1)
    assert PacingLimits(rate_per_second=29.4).window_cap == 29
    with pytest.raises(ValueError, match="arrival_ceiling"):
        PacingLimits(rate_per_second=1.0, arrival_ceiling_seconds=-0.1)
