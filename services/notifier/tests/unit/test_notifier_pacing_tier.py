"""A number's own tier: Meta's 80 or 1000, or any whole rate from 1 up to 1000; None falls back
to the setting."""

from __future__ import annotations

import pytest

from bancone_notifier.domain.pacing import InvalidTierError, checked_tier

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("tier", [None, 1, 20, 80, 1000])
def test_allowed_tiers(tier: int | None) -> None:
    assert checked_tier(tier) == tier


@pytest.mark.parametrize("tier", [0, -1, 1001, 5000])
def test_refused_tiers(tier: int) -> None:
    with pytest.raises(InvalidTierError):
        checked_tier(tier)
