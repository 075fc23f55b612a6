"""Statuses move a message forward only: sent < delivered < read, failed is terminal."""

from __future__ import annotations

import pytest

from bancone_notifier.domain.lifecycle import apply_status

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("current", "status", "expected"),
    [
        ("accepted", "sent", "sent"),
        ("accepted", "delivered", "delivered"),
        ("accepted", "read", "read"),
        ("sent", "delivered", "delivered"),
        ("delivered", "read", "read"),
        ("sent", "read", "read"),
        ("accepted", "played", "read"),
    ],
)
def test_a_higher_ranked_status_moves_the_message(current: str, status: str, expected: str) -> None:
    assert apply_status(current, status) == expected


@pytest.mark.parametrize(
    ("current", "status"),
    [
        ("read", "delivered"),
        ("read", "sent"),
        ("delivered", "sent"),
        ("delivered", "delivered"),
        ("read", "played"),
    ],
)
def test_a_late_lower_or_equal_status_changes_nothing(current: str, status: str) -> None:
    assert apply_status(current, status) is None


@pytest.mark.parametrize("current", ["accepted", "sent"])
def test_failed_ends_a_message_not_yet_delivered(current: str) -> None:
    assert apply_status(current, "failed") == "failed"


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "failed"])
def test_nothing_revives_a_failed_message(status: str) -> None:
    assert apply_status("failed", status) is None


@pytest.mark.parametrize("current", ["delivered", "read"])
def test_delivered_or_read_proves_arrival_so_a_later_failed_is_not_applied(current: str) -> None:
    assert apply_status(current, "failed") is None


def test_unknown_values_change_nothing() -> None:
    assert apply_status("weird", "sent") is None
    assert apply_status("accepted", "deleted") is None
