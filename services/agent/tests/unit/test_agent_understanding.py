"""Intents and slots (budget, colour, cheapness, keywords) read from customer messages."""

from decimal import Decimal

import pytest

from bancone_agent.domain.understanding import Budget, Intent, SortOrder, parse_budget, understand

pytestmark = pytest.mark.unit

D = Decimal

BUDGETS = [
    ("sotto i 20 euro", Budget(max_price=D(20), currency="EUR")),
    ("meno di 15€", Budget(max_price=D(15), currency="EUR")),
    ("under 20", Budget(max_price=D(20))),
    ("less than £30", Budget(max_price=D(30), currency="GBP")),
    ("below 20 eur", Budget(max_price=D(20), currency="EUR")),
    ("menos de 20 €", Budget(max_price=D(20), currency="EUR")),
    ("entre 10 y 20 euros", Budget(min_price=D(10), max_price=D(20), currency="EUR")),
    ("tra 10 e 20", Budget(min_price=D(10), max_price=D(20))),
    ("tra i 10 e i 20 euro", Budget(min_price=D(10), max_price=D(20), currency="EUR")),
    ("between 10 and 15 pounds", Budget(min_price=D(10), max_price=D(15), currency="GBP")),
    ("20€ max", Budget(max_price=D(20), currency="EUR")),
    ("un rosso sui 12,50 euro", Budget(max_price=D("12.50"), currency="EUR")),
    ("massimo 12,50", Budget(max_price=D("12.50"))),
    ("up to $25.99", Budget(max_price=D("25.99"), currency="USD")),
    ("€20 or less", Budget(max_price=D(20), currency="EUR")),
    ("10-20€", Budget(min_price=D(10), max_price=D(20), currency="EUR")),
    ("da 20 a 10 euro", Budget(min_price=D(10), max_price=D(20), currency="EUR")),
    ("più di 10 e meno di 20", Budget(min_price=D(10), max_price=D(20))),
    ("at least 30 euros", Budget(min_price=D(30), currency="EUR")),
    ("un vino da 20 euro", Budget(max_price=D(20), currency="EUR")),
    ("hasta 18 euros", Budget(max_price=D(18), currency="EUR")),
    ("20 euro al massimo", Budget(max_price=D(20), currency="EUR")),
]


@pytest.mark.parametrize(("text", "budget"), BUDGETS)
def test_budget_is_parsed(text: str, budget: Budget) -> None:
    assert parse_budget(text) == budget


@pytest.mark.parametrize(
    "text",
    ["vorrei 2 bottiglie di rosso", "Barolo 2019", "do you ship to London?", "ciao", "1.000"],
)
def test_numbers_that_are_not_prices_are_no_budget(text: str) -> None:
    assert parse_budget(text) is None


def test_a_vintage_next_to_a_budget_does_not_become_the_budget() -> None:
    assert parse_budget("Barolo 2019 sotto i 50") == Budget(max_price=D(50))


INTENTS = [
    ("ciao", Intent.GREETING),
    ("hola, ¿qué tal?", Intent.GREETING),
    ("good morning", Intent.GREETING),
    ("grazie mille", Intent.THANKS),
    ("thanks a lot!", Intent.THANKS),
    ("muchas gracias", Intent.THANKS),
    ("avete un vino rosso sotto i 20 euro?", Intent.PRODUCT_SEARCH),
    ("hi, do you have any sparkling wine?", Intent.PRODUCT_SEARCH),
    ("busco un espumoso para una fiesta", Intent.PRODUCT_SEARCH),
    ("prosecco?", Intent.PRODUCT_SEARCH),
    ("quanto costa il barolo?", Intent.PRICE_QUESTION),
    ("how much is the Barolo?", Intent.PRICE_QUESTION),
    ("¿cuánto cuesta el aceite?", Intent.PRICE_QUESTION),
    ("c'è ancora il parmigiano?", Intent.AVAILABILITY),
    ("is the prosecco in stock?", Intent.AVAILABILITY),
    ("¿está disponible el queso?", Intent.AVAILABILITY),
    ("spedite anche in Germania?", Intent.FAQ),
    ("hi, do you ship to London?", Intent.FAQ),
    ("¿a qué hora abren?", Intent.FAQ),
    ("quanto costa la spedizione?", Intent.FAQ),
    ("avete offerte?", Intent.FAQ),
    ("vorrei parlare con una persona", Intent.HUMAN_REQUEST),
    ("can I talk to a human please", Intent.HUMAN_REQUEST),
    ("quiero hablar con una persona", Intent.HUMAN_REQUEST),
    ("operatore", Intent.HUMAN_REQUEST),
    ("👍", Intent.UNKNOWN),
    ("not sure what I need, help", Intent.UNKNOWN),
    ("scusate il ritardo, ieri non ho potuto rispondere", Intent.UNKNOWN),
]


@pytest.mark.parametrize(("text", "intent"), INTENTS)
def test_intent_is_recognised(text: str, intent: Intent) -> None:
    assert understand(text).intent is intent


@pytest.mark.parametrize(
    ("text", "colour"),
    [
        ("vino rosso", "red"),
        ("red wine", "red"),
        ("vino tinto", "red"),
        ("un bianco fresco", "white"),
        ("white please", "white"),
        ("vino blanco", "white"),
        ("un rosé", "rose"),
        ("un rosato", "rose"),
        ("rosado", "rose"),
        ("bollicine", "sparkling"),
        ("something sparkling", "sparkling"),
        ("un espumoso", "sparkling"),
    ],
)
def test_colour_words_map_to_the_catalogs_canonical_colour(text: str, colour: str) -> None:
    assert understand(text).colour == colour


def test_two_colours_are_kept_but_none_is_a_single_filter() -> None:
    u = understand("rosso o bianco?")
    assert u.colours == {"red", "white"}
    assert u.colour is None


@pytest.mark.parametrize(
    "text", ["qualcosa di economico", "the cheapest red", "algo barato", "un vino poco costoso"]
)
def test_cheap_words_sort_by_price(text: str) -> None:
    assert understand(text).sort is SortOrder.PRICE_ASC


@pytest.mark.parametrize(
    ("text", "keywords"),
    [
        ("avete un vino rosso sotto i 20 euro?", ("vino",)),
        ("quanto costa il barolo?", ("barolo",)),
        ("c'è ancora il parmigiano?", ("parmigiano",)),
        ("avete olio extravergine?", ("olio", "extravergine")),
        ("I'd like some cheese", ("cheese",)),
        ("¿tenéis quesos curados?", ("quesos", "curados")),
        ("bollicine per capodanno", ("capodanno",)),
        ("tra 10 e 20 euro un bianco", ()),
    ],
)
def test_remaining_product_words_become_the_search_text(
    text: str, keywords: tuple[str, ...]
) -> None:
    assert understand(text).keywords == keywords


def test_accents_are_optional() -> None:
    assert understand("cuanto cuesta el rose").colour == "rose"
    assert understand("cuanto cuesta el rose").intent is Intent.PRICE_QUESTION
    assert understand("hacen envios?").intent is Intent.FAQ
