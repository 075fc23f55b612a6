"""One answer to "is this marketing?": consent refusals and pacing priority agree on every
kind of message (an absent template category counts as marketing in both)."""

from __future__ import annotations

import pytest

from bancone_notifier.domain.categories import is_marketing
from bancone_notifier.domain.pacing_slots import priority_of
from bancone_notifier.domain.window import OPTED_OUT_CODE, refusal

pytestmark = pytest.mark.unit

CASES = [
    ("text", None, False),
    ("buttons", None, False),
    ("media", None, False),
    ("template", "utility", False),
    ("template", "authentication", False),
    ("template", "marketing", True),
    ("template", None, True),
]


@pytest.mark.parametrize(("kind", "category", "marketing"), CASES)
def test_is_marketing(kind: str, category: str | None, marketing: bool) -> None:
    assert is_marketing(kind, category) is marketing


@pytest.mark.parametrize(("kind", "category", "marketing"), CASES)
def test_consent_and_pacing_agree(kind: str, category: str | None, marketing: bool) -> None:
    refused = refusal(kind, category, in_window=True, opted_out=True)
    assert (refused is not None and refused.code == OPTED_OUT_CODE) is marketing
    assert (priority_of(kind, category) == "campaign") is marketing
