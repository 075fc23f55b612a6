"""The lexical half of hybrid search: folded, accent-insensitive token overlap."""

from __future__ import annotations

import pytest

from bancone_ingest.domain.keywords import (
    canonical_colour,
    fold,
    keyword_score,
    stem,
    term_weights,
    terms,
)

pytestmark = pytest.mark.unit


def test_fold_drops_accents_and_case() -> None:
    assert fold("Gewürztraminer ROSÉ Caffè") == "gewurztraminer rose caffe"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("vino", "vini"),
        ("rosso", "rossi"),
        ("wine", "wines"),
        ("tinto", "tintos"),
        ("formaggio", "formaggi"),
    ],
)
def test_plural_and_gender_endings_meet(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_short_words_keep_three_letters() -> None:
    assert stem("red") == "red"
    assert stem("olio") == "oli"


def test_terms_drop_stopwords_and_numbers_in_three_languages() -> None:
    assert terms("Avete del Barolo sotto i 40 euro?") == {"barol"}
    assert terms("Do you have a red wine under 20?") == {"red", "win"}
    assert terms("¿Tenéis un vino tinto?") == {"vin", "tint"}


def test_keyword_score_is_accent_insensitive() -> None:
    document = terms("Gewürztraminer Alto Adige")

    assert keyword_score(terms("gewurztraminer"), document) == 1.0


def test_keyword_score_is_the_share_of_query_terms_found() -> None:
    assert keyword_score(terms("barolo rosso"), terms("Barolo DOCG")) == 0.5
    assert keyword_score(terms("barolo"), terms("Chianti")) == 0.0
    assert keyword_score(frozenset(), terms("Chianti")) == 0.0


def test_a_term_every_candidate_shares_weighs_almost_nothing() -> None:
    query = terms("vino Barolo")
    documents = [terms("Barolo vino"), terms("Chianti vino"), terms("Soave vino")]

    weights = term_weights(query, documents)

    assert weights["barol"] > 5 * weights["vin"]
    assert keyword_score(query, documents[0], weights) == 1.0
    assert keyword_score(query, documents[1], weights) < 0.2


@pytest.mark.parametrize(
    ("word", "colour"),
    [
        ("rosso", "red"),
        ("Tinto", "red"),
        ("Rosé", "rose"),
        ("blanco", "white"),
        ("spumante", "sparkling"),
        ("red", "red"),
        ("orange", "orange"),
    ],
)
def test_colour_words_map_to_the_catalog_canonical_form(word: str, colour: str) -> None:
    assert canonical_colour(word) == colour
