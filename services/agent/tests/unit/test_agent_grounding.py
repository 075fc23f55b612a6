"""The grounding check catches numbers a reply did not get from the shop's data."""

from decimal import Decimal

import pytest

from bancone_agent.domain import (
    Intent,
    KnowledgeHit,
    Product,
    Reply,
    check_reply,
    find_ungrounded_numbers,
)
from bancone_agent.domain.phrases import PHRASEBOOKS, phrasebook

pytestmark = pytest.mark.unit

CHIANTI = Product(id="p1", sku="CHI-1", name="Chianti Classico", price=Decimal("14.50"), stock=7)
BAROLO = Product(id="p2", sku="BAR-19", name="Barolo DOCG 2019", price=Decimal("1250"), stock=2)


def test_a_reply_quoting_catalog_prices_and_stock_is_grounded() -> None:
    text = "Chianti Classico — € 14,50 · disponibile: 7. Barolo DOCG 2019 — € 1.250,00"
    assert find_ungrounded_numbers(text, [CHIANTI, BAROLO]) == []


def test_english_formatting_is_grounded_too() -> None:
    text = "Chianti Classico — €14.50 · in stock (7); Barolo DOCG 2019 — €1,250.00"
    assert find_ungrounded_numbers(text, [CHIANTI, BAROLO]) == []


def test_an_invented_price_is_caught() -> None:
    text = "Chianti Classico — € 12,90 · disponibile: 7"
    assert find_ungrounded_numbers(text, [CHIANTI]) == ["12,90"]


def test_an_invented_stock_figure_is_caught() -> None:
    assert find_ungrounded_numbers("Chianti: in stock (40)", [CHIANTI]) == ["40"]


def test_a_stock_figure_passed_off_as_a_price_is_caught() -> None:
    assert find_ungrounded_numbers("Chianti for just €7", [CHIANTI]) == ["7"]


def test_an_invented_discount_is_caught() -> None:
    assert find_ungrounded_numbers("Today 90% off the Chianti!", [CHIANTI]) == ["90"]


def test_numbers_with_no_products_are_all_ungrounded() -> None:
    assert find_ungrounded_numbers("Sotto i 20 euro abbiamo 3 vini", []) == ["20", "3"]


def test_numbers_in_extra_texts_such_as_faq_answers_are_grounded() -> None:
    answer = "Spedizione gratuita sopra i 50 €, consegna in 3-5 giorni."
    assert find_ungrounded_numbers(answer, [], extra_texts=[answer]) == []


def test_numbers_in_product_names_are_grounded_but_not_as_prices() -> None:
    assert find_ungrounded_numbers("Barolo DOCG 2019", [BAROLO]) == []
    assert find_ungrounded_numbers("Barolo at €2019", [BAROLO]) == ["2019"]


def test_check_reply_uses_what_the_reply_cites() -> None:
    hit = KnowledgeHit(kind="faq", entity_id="f1", score=0.9, text="Aperti 9-13")
    grounded = Reply(
        text="€ 14,50 · aperti 9-13",
        language="it",
        intent=Intent.FAQ,
        products_cited=(CHIANTI,),
        knowledge_cited=(hit,),
    )
    ungrounded = grounded.model_copy(update={"knowledge_cited": ()})
    assert check_reply(grounded) == []
    assert check_reply(ungrounded) == ["9", "13"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("it", "€ 12,50"), ("es", "€ 12,50"), ("en", "€12.50")],
)
def test_prices_are_written_the_languages_way(language: str, expected: str) -> None:
    assert phrasebook(language).price(Decimal("12.5"), "EUR") == expected


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("it", "1250", "EUR", "€ 1.250,00"),
        ("en", "1250", "EUR", "€1,250.00"),
        ("en", "30", "GBP", "£30.00"),
        ("it", "9.9", "CHF", "CHF 9,90"),
    ],
)
def test_price_formatting_groups_thousands_and_names_unknown_symbols(
    language: str, amount: str, currency: str, expected: str
) -> None:
    assert phrasebook(language).price(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("it", 7, "disponibile: 7"),
        ("en", 7, "in stock (7)"),
        ("es", 7, "disponible: 7"),
        ("it", 0, "non disponibile"),
        ("en", 0, "out of stock"),
        ("es", 0, "sin stock"),
    ],
)
def test_stock_wording(language: str, count: int, expected: str) -> None:
    assert phrasebook(language).stock(count) == expected


@pytest.mark.parametrize("language", sorted(PHRASEBOOKS))
def test_no_template_states_a_number_of_its_own(language: str) -> None:
    book = PHRASEBOOKS[language]
    templates = [value for value in vars(book).values() if isinstance(value, str)]
    assert [t for t in templates if any(ch.isdigit() for ch in t)] == []


OFFER = KnowledgeHit(
    kind="offer",
    entity_id="natale",
    score=0.0,
    title="Natale: bollicine",
    text="Sconto sulle bollicine per le feste.",
    payload={
        "discount_percent": "12.50",
        "valid_from": "2026-11-15",
        "valid_until": "2027-01-06",
        "product_skus": ["CHI-1"],
        "active": True,
    },
)


def test_an_offers_discount_and_period_ground_a_reply_citing_it() -> None:
    reply = Reply(
        text="• *Natale: bollicine* — 12,5% di sconto, dal 15 novembre 2026 al 6 gennaio 2027",
        language="it",
        intent=Intent.OFFERS,
        knowledge_cited=(OFFER,),
    )
    assert check_reply(reply) == []


def test_a_discount_the_offer_does_not_state_is_caught() -> None:
    reply = Reply(
        text="• *Natale: bollicine* — 25% di sconto",
        language="it",
        intent=Intent.OFFERS,
        knowledge_cited=(OFFER,),
    )
    assert check_reply(reply) == ["25"]
