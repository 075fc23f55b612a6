"""The offline assistant on product questions: names, prices, budgets and stock come from the
shop's tools only, in the customer's language, and only products of the type asked for."""

import re
from decimal import Decimal

import pytest

from bancone_agent.domain import (
    Assistant,
    Intent,
    OfflineAssistant,
    Product,
    ProductQuery,
)
from services.agent.tests.support.offline_shop import (
    CATALOG,
    FakeShopTools,
    ask,
    en_prices_in,
    prices_in,
    wine,
)

pytestmark = pytest.mark.unit


def test_offline_assistant_implements_the_assistant_interface() -> None:
    assistant: Assistant = OfflineAssistant()
    assert assistant is not None


async def test_italian_red_wine_under_20_euros_names_a_red_wine_with_its_price() -> None:
    tools = FakeShopTools()
    reply = await ask("avete un vino rosso sotto i 20 euro?", tools)

    assert reply.language == "it"
    assert reply.intent is Intent.PRODUCT_SEARCH
    assert "Chianti Classico DOCG" in reply.text
    assert "€ 14,50" in reply.text
    assert "disponibile: 7" in reply.text
    assert prices_in(reply.text)
    assert all(price <= 20 for price in prices_in(reply.text))
    assert all(p.colour == "red" and p.price <= 20 for p in reply.products_cited)
    assert tools.product_queries == [
        ProductQuery(category="vino-rosso", colour="red", max_price=Decimal(20), limit=10)
    ]


async def test_a_tool_that_ignores_filters_still_cannot_make_it_cite_out_of_budget() -> None:
    reply = await ask("avete un vino rosso sotto i 20 euro?", FakeShopTools(sloppy=True))

    assert reply.products_cited
    assert all(p.colour == "red" and p.price <= 20 for p in reply.products_cited)
    assert all(price <= 20 for price in prices_in(reply.text))
    assert "Barolo" not in reply.text
    assert "Vermentino" not in reply.text


async def test_english_question_is_answered_in_english() -> None:
    reply = await ask("do you have a red wine under 20?")

    assert reply.language == "en"
    assert "Here's what we have within your budget:" in reply.text
    assert "€14.50" in reply.text
    assert "in stock (7)" in reply.text
    assert all(price <= 20 for price in en_prices_in(reply.text))


async def test_spanish_question_is_answered_in_spanish() -> None:
    reply = await ask("¿tenéis vino tinto por menos de 20 €?")

    assert reply.language == "es"
    assert "Esto es lo que tenemos dentro de tu presupuesto:" in reply.text
    assert "€ 14,50" in reply.text
    assert "disponible: 7" in reply.text
    assert "sin stock" in reply.text  # Nero d'Avola, stock 0
    assert all(price <= 20 for price in prices_in(reply.text))


async def test_in_stock_products_come_before_sold_out_ones() -> None:
    reply = await ask("vino rosso sotto i 20 euro")

    assert [p.name for p in reply.products_cited][-1] == "Nero d'Avola Sicilia"


async def test_cheap_asks_list_the_cheapest_first() -> None:
    reply = await ask("un vino rosso economico")

    prices = [p.price for p in reply.products_cited]
    assert prices == sorted(prices)
    assert reply.products_cited[0].name == "Montepulciano d'Abruzzo"


async def test_at_most_three_products_are_cited() -> None:
    reply = await ask("avete vino?", FakeShopTools(sloppy=True))

    assert len(reply.products_cited) == 3
    assert reply.text.count("•") == 3


async def test_price_question_gives_the_exact_catalog_price() -> None:
    reply = await ask("quanto costa il barolo?")

    assert reply.intent is Intent.PRICE_QUESTION
    assert reply.text.startswith("Ecco i prezzi:")
    assert "*Barolo DOCG 2019* — € 42,00 · disponibile: 3" in reply.text


async def test_availability_question_tells_the_stock_even_when_sold_out() -> None:
    reply = await ask("c'è ancora il nero d'avola?")

    assert reply.intent is Intent.AVAILABILITY
    assert "*Nero d'Avola Sicilia* — € 11,00 · non disponibile" in reply.text


async def test_english_availability_uses_english_stock_wording() -> None:
    reply = await ask("is the prosecco in stock?")

    assert "*Prosecco Superiore Valdobbiadene* — €13.90 · in stock (8)" in reply.text


async def test_budget_range_keeps_both_bounds() -> None:
    reply = await ask("un bianco tra 10 e 20 euro", FakeShopTools(sloppy=True))

    assert [p.name for p in reply.products_cited] == ["Vermentino di Gallura"]


async def test_nothing_found_is_said_honestly_and_offers_a_person() -> None:
    reply = await ask("avete un vino rosso sotto i 5 euro?")

    assert reply.products_cited == ()
    assert "non abbiamo trovato" in reply.text
    assert "persona" in reply.text
    assert not re.search(r"\d", reply.text)


@pytest.mark.parametrize(
    ("text", "language", "phrase"),
    [
        ("avete del caviale?", "it", "non abbiamo caviale"),
        ("do you have any caviar?", "en", "we don't have caviar"),
        ("¿tenéis caviar?", "es", "no tenemos caviar"),
    ],
)
async def test_nothing_found_in_each_language_names_what_was_asked(
    text: str, language: str, phrase: str
) -> None:
    reply = await ask(text)

    assert reply.language == language
    assert phrase in reply.text
    assert reply.products_cited == ()


# -- relevance: the type asked for, and nothing else ------------------------------------------

RELEVANCE_CATALOG = [
    *CATALOG,
    wine(12, "Verdicchio dei Castelli di Jesi Classico", "white", "12.90", 20, "vino-bianco"),
    wine(13, "Prosecco Extra Dry", "sparkling", "11.50", 6, "spumante"),
    Product(
        id="p14",
        sku="SKU-014",
        name="Panettone artigianale",
        category="dolci",
        price=Decimal("32.00"),
        stock=20,
        tags=("dolci", "sweets", "artigianale", "handmade"),
    ),
    Product(
        id="p15",
        sku="SKU-015",
        name="Pecorino Toscano",
        category="formaggi",
        price=Decimal("11.80"),
        stock=18,
        tags=("formaggio", "cheese", "pecorino"),
    ),
]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("¿Tenéis aceite de oliva?", "olio"),
        ("Do you sell extra virgin olive oil?", "olio"),
        ("avete dell'olio extravergine?", "olio"),
    ],
)
async def test_an_oil_request_names_oils_only(text: str, category: str) -> None:
    tools = FakeShopTools(RELEVANCE_CATALOG, sloppy=True)
    reply = await ask(text, tools)

    assert [p.name for p in reply.products_cited] == ["Olio extravergine toscano"]
    assert tools.product_queries[0].category == category


async def test_a_named_cheese_names_that_cheese() -> None:
    tools = FakeShopTools(RELEVANCE_CATALOG)
    reply = await ask("Do you have pecorino cheese?", tools)

    assert [p.name for p in reply.products_cited] == ["Pecorino Toscano"]
    assert tools.product_queries[0] == ProductQuery(text="pecorino", category="formaggi")


async def test_a_type_in_another_language_needs_no_word_of_the_catalog() -> None:
    reply = await ask("¿Tenéis queso?", FakeShopTools(RELEVANCE_CATALOG))

    assert {p.category for p in reply.products_cited} == {"formaggi"}
    assert len(reply.products_cited) == 2


async def test_words_shared_with_another_product_dont_bring_it_in() -> None:
    reply = await ask("Avete ancora il Chianti Classico?", FakeShopTools(RELEVANCE_CATALOG))

    assert [p.name for p in reply.products_cited] == ["Chianti Classico DOCG"]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Vendete birra artigianale?", "Mi dispiace, non abbiamo birra nel nostro catalogo."),
        ("Do you have craft beer?", "Sorry, we don't have beer in our catalogue."),
        ("¿Vendéis cerveza artesanal?", "Lo siento, no tenemos cerveza en nuestro catálogo."),
    ],
)
async def test_a_type_the_shop_doesnt_sell_is_said_honestly(text: str, phrase: str) -> None:
    for sloppy in (False, True):
        tools = FakeShopTools(RELEVANCE_CATALOG, sloppy=sloppy)
        reply = await ask(text, tools)

        assert reply.products_cited == ()
        assert reply.text.startswith(phrase)
        assert tools.product_queries[0].category == "birra"


async def test_a_descriptor_nothing_matches_gives_the_closest_of_the_type_and_budget() -> None:
    tools = FakeShopTools(RELEVANCE_CATALOG)
    reply = await ask("Cerco un bianco fresco sotto i 15 €", tools)

    assert reply.text.startswith("Non ho trovato esattamente quello che cerchi;")
    assert [p.name for p in reply.products_cited] == [
        "Pinot Grigio delle Venezie",
        "Verdicchio dei Castelli di Jesi Classico",
    ]
    assert tools.product_queries[-1] == ProductQuery(
        category="vino-bianco", colour="white", max_price=Decimal(15)
    )


async def test_a_shop_with_its_own_category_slugs_is_judged_by_its_products_words() -> None:
    own = [
        p.model_copy(update={"category": "dispensa" if p.category == "olio" else "cantina"})
        for p in RELEVANCE_CATALOG
    ]
    reply = await ask("avete olio?", FakeShopTools(own))

    assert [p.name for p in reply.products_cited] == ["Olio extravergine toscano"]


async def test_a_type_within_budget_keeps_the_budget_message() -> None:
    reply = await ask("un formaggio sotto i 5 euro", FakeShopTools(RELEVANCE_CATALOG))

    assert "in quella fascia di prezzo" in reply.text


async def test_a_named_product_not_in_budget_is_no_silent_swap() -> None:
    reply = await ask("un vino rosso Barolo sotto i 20 euro", FakeShopTools(RELEVANCE_CATALOG))

    assert reply.text.startswith("Non ho trovato esattamente quello che cerchi;")
    assert "Barolo" not in reply.text
    assert all(p.price <= 20 and p.category == "vino-rosso" for p in reply.products_cited)
