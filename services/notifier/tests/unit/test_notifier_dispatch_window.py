"""The dispatch window: at most `cap` sends in any second, whenever the sends try to leave."""

from __future__ import annotations

import pytest

from bancone_notifier.domain.dispatch_window import DispatchWindow
from bancone_notifier.domain.pacing_slots import PacingLimits

pytestmark = pytest.mark.unit


def answered_at_once(window: DispatchWindow, at: float) -> None:
    window.record(at).answered(at)


def test_sends_go_at_once_until_the_window_is_full() -> None:
    window = DispatchWindow(expiry=15.0)
    for at in (10.0, 10.1, 10.2):
        assert window.wait(at, 3) == 0.0
        answered_at_once(window, at)
    assert window.wait(10.3, 3) == pytest.approx(0.7)


def test_late_sends_push_the_next_ones_back_instead_of_bunching() -> None:
    """Three sends woken together after a stall: with a cap of 2 a second, the third holds
    until the first of them is a second old, and so on."""
    window = DispatchWindow(expiry=15.0)
    left: list[float] = []
    now = 5.0
    for _ in range(6):
        now += window.wait(now, 2)
        answered_at_once(window, now)
        left.append(now)
    assert left == pytest.approx([5.0, 5.0, 6.0, 6.0, 7.0, 7.0])


def test_an_unanswered_send_counts_as_arriving_now_and_an_answered_one_at_its_answer() -> None:
    """A send may arrive at Meta any time before its answer: while none has come it may be
    arriving now; once answered, it arrived by the answer, however late that was."""
    window = DispatchWindow(expiry=15.0)
    first = window.record(1.0)
    assert window.wait(1.5, 1) == pytest.approx(1.0), "unanswered: it may arrive at 1.5"
    assert window.wait(3.0, 1) == pytest.approx(1.0), "still unanswered at 3.0"
    first.answered(3.2)  # a slow answer: counted until 4.2, not until 1.0 plus some ceiling
    assert window.wait(3.5, 1) == pytest.approx(0.7)
    assert window.wait(4.2, 1) == 0.0


def test_a_send_never_answered_stops_counting_after_its_expiry() -> None:
    window = DispatchWindow(expiry=2.0)
    window.record(0.0)  # its task was cancelled: no answer will come
    assert window.wait(1.0, 1) == pytest.approx(1.0)
    assert window.wait(3.0, 1) == 0.0, "counted as arrived by 2.0, a second ago"


def test_the_window_counts_the_latest_arrivals_not_the_order_of_leaving() -> None:
    """An early send answered late holds the window longer than a later one answered fast."""
    window = DispatchWindow(expiry=15.0)
    slow, fast = window.record(0.0), window.record(0.1)
    fast.answered(0.11)
    slow.answered(0.4)
    # Both may have arrived within a second before 1.05; room again once `fast` is a second old.
    assert window.wait(1.05, 2) == pytest.approx(0.06)


def test_a_window_needs_a_positive_cap_and_expiry() -> None:
    with pytest.raises(ValueError, match="cap"):
        DispatchWindow(expiry=1.0).wait(0.0, 0)
    with pytest.raises(ValueError, match="expiry"):
        DispatchWindow(expiry=0.0)


def test_a_smaller_cap_holds_sends_the_window_already_counted() -> None:
    """A replica's share shrinks when another joins: the sends it counted at the old share
    still hold the new, smaller cap until they are a second old."""
    window = DispatchWindow(expiry=15.0)
    for at in (1.0, 1.1, 1.2, 1.3):
        assert window.wait(at, 4) == 0.0
        answered_at_once(window, at)
    assert window.wait(1.4, 2) == pytest.approx(0.8), "room once all but one are a second old"


def test_the_window_holds_the_tier_not_the_booking_rate() -> None:
    """Slots are booked at the tier less the margin; the window counts Meta's own limit."""
    limits = PacingLimits.for_tier(80, margin=0.01)
    assert limits.rate_per_second == pytest.approx(79.2)
    assert limits.window_cap == 80
    assert PacingLimits(rate_per_second=29.4).window_cap == 29
    with pytest.raises(ValueError, match="unanswered_expiry"):
        PacingLimits(rate_per_second=1.0, unanswered_expiry_seconds=0.0)
