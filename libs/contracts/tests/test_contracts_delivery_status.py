"""One ordering rule for delivery statuses: forward only, `failed` terminal and only before
arrival is proven."""

from __future__ import annotations

import pytest

from bancone_contracts.delivery_status import delivery_status_advances

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (None, "accepted"),
        (None, "sent"),
        ("requested", "accepted"),
        ("sending", "sent"),
        ("accepted", "sent"),
        ("accepted", "read"),
        ("sent", "delivered"),
        ("delivered", "read"),
        ("accepted", "played"),
    ],
)
def test_a_later_status_advances(current: str | None, new: str) -> None:
    assert delivery_status_advances(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("read", "delivered"),
        ("delivered", "sent"),
        ("sent", "accepted"),
        ("sent", "sent"),
        ("read", "played"),
        ("played", "read"),
    ],
)
def test_an_earlier_or_equal_status_does_not_advance(current: str, new: str) -> None:
    assert not delivery_status_advances(current, new)


@pytest.mark.parametrize("current", [None, "requested", "sending", "unknown", "accepted", "sent"])
def test_failed_advances_before_arrival_is_proven(current: str | None) -> None:
    assert delivery_status_advances(current, "failed")


@pytest.mark.parametrize("current", ["delivered", "read", "played"])
def test_failed_after_arrival_is_proven_does_not_advance(current: str) -> None:
    assert not delivery_status_advances(current, "failed")


@pytest.mark.parametrize("new", ["sent", "delivered", "read", "failed"])
def test_nothing_advances_a_failed_message(new: str) -> None:
    assert not delivery_status_advances("failed", new)


def test_unknown_values_never_advance() -> None:
    assert not delivery_status_advances("weird", "sent")
    assert not delivery_status_advances("accepted", "deleted")
