"""The opt-out/opt-in keyword matcher shared by the notifier (ledger, confirmation) and the
agent (silence): whole-message requests in it/en/es match, a keyword inside a sentence does
not, a tenant's own list replaces the defaults, and an unusable list is refused whole."""

from __future__ import annotations

import pytest

from bancone_contracts.consent_keywords import (
    DEFAULT_KEYWORDS,
    ConsentKeyword,
    InvalidKeywordError,
    checked_keywords,
    match_keyword,
    normalise,
)

pytestmark = pytest.mark.unit


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


def test_accents_case_and_punctuation_do_not_matter() -> None:
    assert normalise("Cancelar  Suscripción!") == ("cancelar", "suscripcion")
    keyword = match_keyword("CANCELAR SUSCRIPCIÓN", DEFAULT_KEYWORDS)
    assert keyword is not None
    assert keyword.action == "opt_out"


def test_an_opt_out_wins_a_tie_with_an_opt_in() -> None:
    both = (ConsentKeyword("basta", "opt_in", "it"), ConsentKeyword("basta", "opt_out", "it"))
    keyword = match_keyword("basta", both)
    assert keyword is not None
    assert keyword.action == "opt_out"


@pytest.mark.parametrize(
    "phrase", ["", "per favore", "uno due tre quattro cinque sei sette otto nove"]
)
def test_a_phrase_that_can_never_match_is_refused(phrase: str) -> None:
    with pytest.raises(InvalidKeywordError):
        checked_keywords([ConsentKeyword(phrase, "opt_out", "it")])


def test_an_empty_list_matches_nothing() -> None:
    assert checked_keywords([]) == ()
    assert match_keyword("STOP", ()) is None
