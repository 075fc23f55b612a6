"""The opt-out/opt-in keyword matcher and the 24-hour window arithmetic (pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bancone_notifier.domain.consent import (
    DEFAULT_KEYWORDS,
    ConsentKeyword,
    InvalidKeywordError,
    checked_keywords,
    confirmation,
    match_keyword,
)
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


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("STOP", "en"),
        ("stop please", "en"),
        ("Stop!!!", "en"),
        ("stop all", "en"),
        ("please stop sending me messages", "en"),
        ("Unsubscribe", "en"),
        ("BASTA", "it"),
        ("basta messaggi", "it"),
        ("Basta con i messaggi, per favore", "it"),
        ("cancella", "it"),
        ("Annulla iscrizione", "it"),
        ("ALTO", "es"),
        ("baja", "es"),
        ("Darme de baja por favor", "es"),
        ("cancelar suscripción", "es"),
    ],
)
def test_a_request_to_stop_is_an_opt_out_in_its_language(text: str, language: str) -> None:
    keyword = match_keyword(text, DEFAULT_KEYWORDS)
    assert keyword is not None
    assert (keyword.action, keyword.language) == ("opt_out", language)


@pytest.mark.parametrize(
    "text",
    [
        "non basta il vino",
        "don't stop",
        "basta così",
        "basta, grazie",  # "nothing else, thanks" in a shop chat
        "no stop",
        "cancella l'ordine",
        "where is the bus stop?",
        "the stop button does not work on your site",
        "stopped",
        "",
        "   ",
        "!!!",
        "stop stop stop stop stop stop stop stop stop",
    ],
)
def test_a_keyword_inside_a_normal_sentence_is_not_an_opt_out(text: str) -> None:
    assert match_keyword(text, DEFAULT_KEYWORDS) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [("START", "en"), ("Iscrivimi", "it"), ("riattiva per favore", "it"), ("ALTA", "es")],
)
def test_start_iscrivimi_alta_are_opt_ins(text: str, language: str) -> None:
    keyword = match_keyword(text, DEFAULT_KEYWORDS)
    assert keyword is not None
    assert (keyword.action, keyword.language) == ("opt_in", language)


def test_the_defaults_are_a_valid_tenant_list_so_a_tenant_can_start_from_them() -> None:
    assert checked_keywords(DEFAULT_KEYWORDS) == DEFAULT_KEYWORDS


def test_a_phrase_equal_to_another_once_filler_is_removed_is_refused() -> None:
    with pytest.raises(InvalidKeywordError):
        checked_keywords(
            [
                ConsentKeyword("stop", "opt_out", "en"),
                ConsentKeyword("stop please", "opt_out", "en"),
            ]
        )


def test_a_tenants_own_keywords_replace_the_defaults() -> None:
    own = (ConsentKeyword("fermati", "opt_out", "it"),)
    assert match_keyword("Fermati", own) == own[0]
    assert match_keyword("STOP", own) is None


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
