"""The grounding guard: invented prices, stock figures, discounts and product names are caught;
what the tools returned (and the shop's own configuration) passes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from bancone_agent.domain import KnowledgeHit, Product
from bancone_agent.domain.guard import (
    CatalogueNames,
    Finding,
    GroundingSources,
    check_grounding,
    correction,
    name_key,
)
from bancone_agent.metrics import record_findings

pytestmark = pytest.mark.unit

CHIANTI = Product(
    id="p1",
    sku="rosso-chianti",
    name="Chianti Classico DOCG 2021 \u2013 Fattoria Le Cetine",
    category="vino-rosso",
    price=Decimal("16.90"),
    stock=36,
    attributes={"colour": "red", "grape": "Sangiovese"},
)
MONTEPULCIANO = Product(
    id="p2",
    sku="rosso-montepulciano",
    name="Montepulciano d'Abruzzo DOC 2022 \u2013 Cantina Colle Maiella",
    category="vino-rosso",
    price=Decimal("8.90"),
    stock=60,
)
PACCHERI = Product(
    id="p3", sku="pasta-paccheri", name="Paccheri di Gragnano IGP", price=Decimal("3.20"), stock=90
)
OFFER = KnowledgeHit(
    kind="offer",
    entity_id="o1",
    score=0,
    title="Degustazione Toscana",
    text="Chianti Classico, cantucci, pecorino: 10% di sconto su ciascuno.",
    payload={"code": "DEGUSTAZIONE-TOSCANA", "discount_percent": "10"},
)
SHIPPING = KnowledgeHit(
    kind="faq",
    entity_id="f1",
    score=0,
    title="Spedizione",
    text="La spedizione costa 7,90 € ed è gratuita da 69 € in su.",
)


def sources(**overrides: object) -> GroundingSources:
    values: dict[str, object] = {"products": (CHIANTI, MONTEPULCIANO)}
    values.update(overrides)
    return GroundingSources(**values)  # type: ignore[arg-type]


def kinds(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in findings]


def test_prices_and_stock_from_the_tools_pass() -> None:
    text = (
        "Ti consiglio il *Chianti Classico DOCG 2021* a 16,90 € (36 disponibili) oppure il "
        "Montepulciano d'Abruzzo a € 8.90."
    )

    assert check_grounding(text, sources()) == []


def test_an_invented_price_is_caught_as_a_price() -> None:
    findings = check_grounding("Il Chianti Classico costa solo 12,50 €!", sources())

    assert kinds(findings) == [("price", "12,50")]


def test_a_stock_figure_passed_off_as_a_price_is_caught() -> None:
    assert kinds(check_grounding("Il Chianti Classico costa 36 €", sources())) == [("price", "36")]


def test_an_invented_stock_figure_is_caught_as_stock() -> None:
    findings = check_grounding("Del Chianti Classico ne abbiamo ancora 7 bottiglie.", sources())

    assert kinds(findings) == [("stock", "7")]


def test_an_invented_discount_is_caught_even_when_the_number_is_some_stock() -> None:
    # 90 is the paccheri's stock: a bare 90 would pass, "90%" must be an offer's.
    text = "Certo! Per te il 90% di sconto sui Paccheri di Gragnano."

    findings = check_grounding(text, sources(products=(PACCHERI,)))

    assert kinds(findings) == [("discount", "90%")]


def test_an_offers_discount_passes_and_faq_amounts_pass() -> None:
    text = (
        "Con la Degustazione Toscana hai il 10% di sconto sul Chianti Classico (16,90 €). "
        "La spedizione costa 7,90 € ed è gratis da 69 €."
    )

    assert check_grounding(text, sources(knowledge=(OFFER, SHIPPING))) == []


def test_ten_percent_is_not_grounded_without_the_offer() -> None:
    findings = check_grounding("Hai il 10 per cento di sconto.", sources())

    assert kinds(findings) == [("discount", "10 per cento")]


def test_an_invented_wine_is_caught_by_the_denomination_lexicon() -> None:
    findings = check_grounding("Abbiamo anche un ottimo Barolo, chiedimi pure!", sources())

    assert ("product_name", "barolo") in kinds(findings)


def test_a_wine_the_customer_named_may_be_repeated() -> None:
    text = "Purtroppo il Barolo non lo abbiamo, ma c'è il Chianti Classico a 16,90 €."

    assert check_grounding(text, sources(customer_texts=("avete del barolo?",))) == []


def test_an_unknown_name_before_a_denomination_mark_is_caught() -> None:
    findings = check_grounding("Prova il nostro Castelvecchio DOCG, è ottimo.", sources())

    assert kinds(findings) == [("product_name", "Castelvecchio DOCG")]


def test_a_product_of_the_catalogue_seen_earlier_but_not_returned_now_is_caught() -> None:
    names = CatalogueNames()
    names.learn("demo", [PACCHERI])

    findings = check_grounding(
        "Abbinalo ai nostri paccheri di gragnano!",
        sources(known_names=names.keys("demo")),
    )

    assert kinds(findings) == [("product_name", "paccheri di gragnano")]
    assert names.keys("other-shop") == frozenset()


def test_result_counts_budget_bounds_and_list_numbers_pass() -> None:
    text = "Ho trovato 2 vini sotto i 20 €:\n1. Chianti Classico 16,90 €\n2. Montepulciano 8,90 €"

    assert check_grounding(text, sources(texts=("2", "20"))) == []
    assert kinds(check_grounding(text, sources())) == [("number", "2"), ("price", "20")]


def test_numbers_in_the_business_context_pass() -> None:
    text = "Siamo aperti dalle 9:30, in Via dei Mercanti 12."

    assert check_grounding(text, sources(texts=("Via dei Mercanti 12, dalle 9:30",))) == []


def test_name_keys_are_the_first_words_a_reply_would_use() -> None:
    assert name_key(CHIANTI.name) == "chianti classico"
    assert name_key("Spaghetti di Gragnano IGP trafilati al bronzo \u2013 500 g") == (
        "spaghetti di gragnano"
    )
    assert name_key("Olio") is None


def test_findings_are_counted_and_become_run_log_entries() -> None:
    before = REGISTRY.get_sample_value(
        "bancone_agent_guard_violations_total", {"kind": "price", "attempt": "2"}
    )

    recorded = record_findings(
        [Finding("price", "12,50")], 2, tenant_id="demo", conversation_id="c1"
    )

    after = REGISTRY.get_sample_value(
        "bancone_agent_guard_violations_total", {"kind": "price", "attempt": "2"}
    )
    assert (after or 0) - (before or 0) == 1
    assert [(f.kind, f.value, f.attempt) for f in recorded] == [("price", "12,50", 2)]


def test_the_correction_names_each_finding() -> None:
    text = correction([Finding("price", "12,50"), Finding("product_name", "barolo")])

    assert "GROUNDING CHECK FAILED" in text
    assert "the price '12,50'" in text
    assert "the product 'barolo'" in text
