"""Intents and slots (budget, colour, cheapness, keywords) read from customer messages."""

from decimal import Decimal

import pytest

from bancone_agent.domain.text import mentions
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
    ("avete offerte?", Intent.OFFERS),
    ("vorrei parlare con una persona", Intent.HUMAN_REQUEST),
    ("can I talk to a human please", Intent.HUMAN_REQUEST),
    ("quiero hablar con una persona", Intent.HUMAN_REQUEST),
    ("operatore", Intent.HUMAN_REQUEST),
    ("👍", Intent.UNKNOWN),
    ("not sure what I need, help", Intent.UNKNOWN),
    ("scusate il ritardo, ieri non ho potuto rispondere", Intent.UNKNOWN),
    # a greeting opening a question is no small talk
    ("ciao! come faccio a ordinare una torta con la scritta per sabato?", Intent.UNKNOWN),
    ("c'è qualcuno??", Intent.HUMAN_REQUEST),
    ("this bot is useless", Intent.HUMAN_REQUEST),
    ("¿hay alguien?", Intent.HUMAN_REQUEST),
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


@pytest.mark.parametrize(
    "text",
    [
        "Avete offerte?",
        "promozioni per Natale?",
        "C'è uno sconto sul panettone?",
        "Do you have any offers?",
        "Any discounts right now?",
        "give me 50% off",
        "¿Tenéis alguna oferta?",
        "¿Hay descuento en el panettone?",
    ],
)
def test_offer_questions_are_their_own_intent(text: str) -> None:
    assert understand(text).intent is Intent.OFFERS


@pytest.mark.parametrize(
    ("text", "keywords"),
    [
        ("Avete offerte in questo periodo?", ()),
        ("Any offers or discounts right now?", ()),
        ("¿Tenéis alguna oferta ahora?", ()),
        ("promozioni per Natale?", ("natale",)),
    ],
)
def test_time_words_of_an_offer_question_are_no_product(
    text: str, keywords: tuple[str, ...]
) -> None:
    assert understand(text).keywords == keywords


def test_percentages_the_customer_writes_are_read() -> None:
    assert understand("dammi il 90% di sconto").percents == (D(90),)
    assert understand("12,5 per cento?").percents == (D("12.5"),)
    assert understand("Barolo 2019").percents == ()


@pytest.mark.parametrize(
    ("text", "categories", "slugs", "descriptors"),
    [
        ("¿Tenéis aceite de oliva?", {"olio"}, {"olio"}, ()),
        ("Do you sell extra virgin olive oil?", {"olio"}, {"olio"}, ("extra", "virgin")),
        ("avete olio extravergine?", {"olio"}, {"olio"}, ("extravergine",)),
        ("Do you have pecorino cheese?", {"formaggi"}, {"formaggi"}, ("pecorino",)),
        ("¿tenéis quesos curados?", {"formaggi"}, {"formaggi"}, ("curados",)),
        ("Vendete birra artigianale?", {"birra"}, {"birra"}, ("artigianale",)),
        ("Do you have craft beer?", {"birra"}, {"birra"}, ("craft",)),
        ("avete salumi toscani?", {"salumi"}, {"salumi"}, ("toscani",)),
        ("any cured meats?", {"salumi"}, {"salumi"}, ()),
        ("dolci di Natale", {"dolci"}, {"dolci"}, ("natale",)),
        ("pasta di Gragnano", {"pasta"}, {"pasta"}, ("gragnano",)),
        ("Avete whisky scozzese?", {"distillati"}, {"distillati"}, ("scozzese",)),
        ("avete un vino rosso?", {"vino"}, {"vino-rosso"}, ()),
        ("un vino tinto o blanco", {"vino"}, {"vino-rosso", "vino-bianco"}, ()),
        ("un bianco fresco", set(), {"vino-bianco"}, ("fresco",)),
        ("bollicine per capodanno", set(), {"spumante"}, ("capodanno",)),
        (
            "avete vino?",
            {"vino"},
            {"vino-rosso", "vino-bianco", "vino-rosato", "spumante"},
            (),
        ),
        ("quanto costa il barolo?", set(), set(), ("barolo",)),
    ],
)
def test_product_types_map_to_the_catalogs_category_slugs(
    text: str, categories: set[str], slugs: set[str], descriptors: tuple[str, ...]
) -> None:
    u = understand(text)
    assert u.categories == categories
    assert u.category_slugs == slugs
    assert u.descriptors == descriptors
    assert u.category == (next(iter(slugs)) if len(slugs) == 1 else None)


def test_a_wine_for_a_pairing_keeps_both_types_and_no_single_filter() -> None:
    u = understand("un vino per i salumi")
    assert u.categories == {"vino", "salumi"}
    assert u.category is None


@pytest.mark.parametrize(
    ("text", "word", "named"),
    [
        ("pane toscano", "pan", True),
        ("panes", "pan", True),
        ("crema e panna", "pan", False),
        ("crema e panna", "pane", False),
        ("panettone", "pan", False),
        ("vini rossi", "vino", True),
        ("vinos", "vino", True),
        ("key ring", "keys", True),
        ("formaggio", "formaggi", True),
    ],
)
def test_short_words_name_their_inflections_only(text: str, word: str, named: bool) -> None:
    assert mentions(text, word) is named
