"""The offline assistant on the shop's documents: what the catalogue, offer and FAQ rules can't
answer, a passage answers with its source; a weak or unrelated passage never does."""

from collections.abc import Sequence

import pytest

from bancone_agent.domain import Intent, KnowledgeHit, ToolError, check_reply
from bancone_agent.domain.documents import best_passage, quote
from bancone_agent.domain.understanding import DEFAULT_READER
from services.agent.tests.support.offline_shop import FakeShopTools, ask

pytestmark = pytest.mark.unit

TASTING = (
    "Ogni giovedì alle 19:00 organizziamo in negozio una degustazione guidata di quattro vini. "
    "La degustazione del giovedì costa 25 € a persona e i posti sono limitati a 12 persone."
)


def passage(
    text: str,
    score: float,
    *,
    title: str = "Degustazioni ed eventi",
    citation: str = "Degustazioni ed eventi, § Giovedì",
    language: str = "it",
) -> KnowledgeHit:
    """A document passage shaped like ingest's hits."""
    return KnowledgeHit(
        kind="document",
        entity_id=f"doc:v1:{abs(hash(text)) % 100}",
        score=score,
        title=title,
        text=text,
        payload={"language": language, "citation": citation, "section": "Giovedì"},
    )


class DocumentShop(FakeShopTools):
    """The offline test shop, whose document search returns `documents` (FAQs as usual)."""

    def __init__(self, documents: Sequence[KnowledgeHit], *, documents_down: bool = False) -> None:
        super().__init__()
        self.documents = list(documents)
        self.documents_down = documents_down

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        hits = await super().search_knowledge(text, [k for k in kinds if k != "document"])
        if "document" not in kinds:
            return hits
        if self.documents_down:
            raise ToolError("ingest unavailable")
        return [*hits, *self.documents]


async def test_a_question_no_rule_answers_gets_the_passage_that_names_its_words() -> None:
    tools = DocumentShop([passage(TASTING, 0.3)])
    reply = await ask("a che ora inizia la degustazione guidata del giovedi?", tools)

    assert reply.text == f"{TASTING}\n(fonte: Degustazioni ed eventi, § Giovedì)"
    assert [hit.kind for hit in reply.knowledge_cited] == ["document"]
    assert check_reply(reply) == []  # 19:00, 25 € and 12 are the passage's own


async def test_a_passage_below_the_bar_is_no_answer_and_the_customer_hears_we_dont_know() -> None:
    reply = await ask(
        "a che ora inizia la degustazione guidata del giovedi?",
        DocumentShop([passage(TASTING, 0.1)]),
    )

    assert reply.knowledge_cited == ()
    assert reply.text.startswith("Non sono sicuro di aver capito.")


def test_a_passage_sharing_no_word_answers_only_when_it_scores_clearly_high() -> None:
    words = ("people", "join", "thursday", "tasting")  # English question, Italian passage

    assert best_passage([passage(TASTING, 0.3)], words) is None
    assert best_passage([passage(TASTING, 0.4)], words) is not None


def test_a_passage_naming_a_stem_of_the_customers_word_supports_the_answer() -> None:
    words = DEFAULT_READER.read("quanto costano le degustazioni?").keywords

    assert best_passage([passage(TASTING, 0.2)], words) is not None


def test_faqs_and_offers_are_never_taken_as_document_passages() -> None:
    faq = KnowledgeHit(kind="faq", entity_id="f", score=0.9, title="Degustazione?", text="Sì.")

    assert best_passage([faq], ("degustazione",)) is None


async def test_a_price_question_the_catalogue_cannot_answer_is_answered_from_a_document() -> None:
    tools = DocumentShop([passage(TASTING, 0.25)])
    reply = await ask("Quanto costa la degustazione del giovedì sera?", tools)

    assert reply.intent is Intent.PRICE_QUESTION
    assert "25 € a persona" in reply.text
    assert reply.products_cited == ()
    assert reply.knowledge_cited[0].citation == "Degustazioni ed eventi, § Giovedì"


async def test_a_product_question_the_catalogue_answers_does_not_look_at_documents() -> None:
    tools = DocumentShop([passage("Il Chianti si serve a 16 °C.", 0.9)])
    reply = await ask("avete il Chianti Classico?", tools)

    assert [p.name for p in reply.products_cited] == ["Chianti Classico DOCG"]
    assert all("document" not in kinds for _, kinds in tools.knowledge_queries)


async def test_a_product_not_sold_is_not_answered_by_a_high_scoring_passage_naming_other_things() -> (
    None
):
    tools = DocumentShop([passage(TASTING, 0.9)])
    reply = await ask("avete del sushi?", tools)

    assert reply.knowledge_cited == ()
    assert reply.text.startswith("Mi dispiace, non abbiamo sushi")


async def test_a_passage_in_the_shops_language_is_labelled_for_a_customer_writing_another() -> None:
    tools = DocumentShop([passage(TASTING, 0.45)])
    reply = await ask("How many people can join the Thursday tasting?", tools)

    assert reply.language == "en"
    assert reply.text.startswith("Here is our answer (in Italian):\n")
    assert reply.text.endswith("(from the Degustazioni ed eventi, § Giovedì)")


async def test_document_search_down_still_gets_the_honest_not_found_reply() -> None:
    reply = await ask("avete del sushi?", DocumentShop([], documents_down=True))

    assert reply.text.startswith("Mi dispiace, non abbiamo sushi")
    assert not reply.wants_human


def test_a_long_passage_is_quoted_by_the_sentences_that_name_the_customers_words() -> None:
    text = (
        "Sulphites. All our wines contain sulphites, including the organic ones. "
        "Milk and lactose. Pecorino Romano and Parmigiano Reggiano are made from milk. "
        "Gluten. Our dry pasta is durum wheat; we also stock a gluten-free pasta from a "
        "dedicated mill. Nuts. The cantucci contain almonds, and the panettone may hold traces "
        "of hazelnuts. Ask us about any other ingredient before you order."
    )
    quoted = quote(text, ("pasta", "senza", "glutine"), limit=200)

    assert quoted == (
        "Our dry pasta is durum wheat; we also stock a gluten-free pasta from a dedicated mill."
    )


def test_a_short_passage_is_quoted_whole() -> None:
    assert quote(TASTING, ("giovedi",)) == TASTING


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("¿Puedo recogerlo en la tienda?", "location"),
        ("quiero devolverlo, es posible?", "returns"),
        ("posso pagarlo con la carta di credito?", "payment"),
    ],
)
def test_a_cue_verb_is_understood_with_pronouns_attached(text: str, topic: str) -> None:
    assert topic in DEFAULT_READER.read(text).faq_topics


@pytest.mark.parametrize(
    "text", ["Can someone else pick up my order?", "posso modificare il mio ordine?"]
)
def test_my_order_alone_is_not_a_shipping_question(text: str) -> None:
    assert "shipping" not in DEFAULT_READER.read(text).faq_topics


@pytest.mark.parametrize(
    "text", ["where is my order?", "il mio ordine non è arrivato", "¿dónde está mi pedido?"]
)
def test_a_missing_order_is_still_a_shipping_question(text: str) -> None:
    assert "shipping" in DEFAULT_READER.read(text).faq_topics


SULPHITES = "Sulphites. All our wines contain sulphites, including the organic ones."


async def test_wines_a_semantic_search_matched_naming_none_of_the_question_yield_to_a_document() -> (
    None
):
    """The catalogue's wines pass on vector score alone,
    naming neither "contain" nor "sulphites"; the allergens passage names them and answers."""
    tools = DocumentShop([passage(SULPHITES, 0.3, title="Allergens", language="en")])
    tools.products = [p.model_copy(update={"match_score": 0.6}) for p in tools.products]
    tools.sloppy = True
    reply = await ask("Do your wines contain sulphites?", tools)

    assert reply.products_cited == ()
    assert reply.text.startswith(SULPHITES)


async def test_wines_matched_without_the_question_words_stay_when_no_document_names_them() -> None:
    tools = DocumentShop([passage(TASTING, 0.9)])
    tools.products = [p.model_copy(update={"match_score": 0.6}) for p in tools.products]
    tools.sloppy = True
    reply = await ask("Do your wines contain sulphites?", tools)

    assert reply.knowledge_cited == ()
    assert reply.products_cited != ()


async def test_a_budget_question_nothing_matches_is_not_answered_by_a_passage_naming_the_type() -> (
    None
):
    storage = "Conserva il vino rosso al buio, tra 12 e 14 °C."
    reply = await ask("avete un vino rosso sotto i 5 euro?", DocumentShop([passage(storage, 0.5)]))

    assert reply.knowledge_cited == ()
    assert reply.products_cited == ()
