"""The confirmation of a keyword and the 24-hour window arithmetic (pure domain); the keyword
matcher's own tests are in libs/contracts/tests/test_contracts_consent_keywords.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bancone_notifier.domain.consent import DEFAULT_KEYWORDS, confirmation, match_keyword
from bancone_notifier.domain.window import (
    OPTED_OUT_CODE,
    OUTSIDE_WINDOW,
    OUTSIDE_WINDOW_CODE,
    refusal,
    window_closes_at,
    window_open,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_the_confirmation_speaks_the_keywords_language_and_says_how_to_resume() -> None:
    it = match_keyword("basta", DEFAULT_KEYWORDS)
    es = match_keyword("alto", DEFAULT_KEYWORDS)
    en_in = match_keyword("start", DEFAULT_KEYWORDS)
    assert it is not None
    assert es is not None
    assert en_in is not None
    assert "ISCRIVIMI" in confirmation(it, DEFAULT_KEYWORDS)
    assert "ALTA" in confirmation(es, DEFAULT_KEYWORDS)
    assert "again" in confirmation(en_in, DEFAULT_KEYWORDS)
    assert "STOP" in confirmation(en_in, DEFAULT_KEYWORDS)


def test_the_window_is_open_for_24_hours_after_the_last_customer_message() -> None:
    last = NOW - timedelta(hours=23, minutes=59, seconds=59)
    assert window_open(last, NOW)
    assert not window_open(NOW - timedelta(hours=24), NOW)
    assert not window_open(NOW - timedelta(days=3), NOW)
    assert window_closes_at(last) == NOW + timedelta(seconds=1)


def test_no_message_ever_means_no_window_and_a_future_one_counts_as_just_received() -> None:
    assert not window_open(None, NOW)
    assert window_open(NOW + timedelta(seconds=30), NOW)


def test_free_form_outside_the_window_is_refused_with_131047_and_a_template_is_not() -> None:
    for kind in ("text", "buttons", "list", "media", "reaction"):
        refused = refusal(kind, None, in_window=False, opted_out=False)
        assert refused is not None
        assert (refused.code, refused.title) == (OUTSIDE_WINDOW_CODE, OUTSIDE_WINDOW)
        assert refusal(kind, None, in_window=True, opted_out=True) is None
    assert refusal("template", "utility", in_window=False, opted_out=False) is None
    assert refusal("text", None, in_window=False, opted_out=False, enforce_window=False) is None


def test_a_marketing_or_undeclared_template_to_an_opted_out_customer_is_refused() -> None:
    for category in ("marketing", None):
        refused = refusal("template", category, in_window=True, opted_out=True)
        assert refused is not None
        assert refused.code == OPTED_OUT_CODE
    assert refusal("template", "utility", in_window=False, opted_out=True) is None
    assert refusal("template", "marketing", in_window=False, opted_out=False) is None
