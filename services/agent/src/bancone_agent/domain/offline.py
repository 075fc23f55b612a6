"""The offline assistant: rules, the shop's tools and phrasebooks; no model, no invention.

Every name, price and stock figure it writes comes from `ShopTools` results, filtered again
here (a tool that ignores a filter still can't make it cite a €30 wine for "under 20").
It is the embedded default and the fallback of the LLM assistant.
"""

from collections.abc import Sequence

from bancone_agent.domain.assistant import (
    SILENT_KINDS,
    ContentKind,
    KnowledgeHit,
    Product,
    ProductQuery,
    Reply,
    ShopTools,
    ToolError,
    Turn,
)
from bancone_agent.domain.language import DEFAULT_DETECTOR, LanguageDetector
from bancone_agent.domain.phrases import PHRASEBOOKS, Phrasebook, phrasebook
from bancone_agent.domain.text import fold
from bancone_agent.domain.understanding import (
    DEFAULT_READER,
    PRODUCT_INTENTS,
    Intent,
    MessageReader,
    SortOrder,
    Understanding,
)


class OfflineAssistant:
    """Answers product, price, budget, availability and FAQ questions from the shop's data."""

    def __init__(
        self,
        *,
        max_products: int = 3,
        search_limit: int = 10,
        faq_min_score: float = 0.3,
        detector: LanguageDetector = DEFAULT_DETECTOR,
        reader: MessageReader = DEFAULT_READER,
    ) -> None:
        self._max_products = max_products
        self._search_limit = search_limit
        self._faq_min_score = faq_min_score
        self._detector = detector
        self._reader = reader

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        if turn.kind in SILENT_KINDS:
            return None
        language = self.reply_language(turn)
        book = phrasebook(language)
        text = (turn.text or "").strip()
        if turn.kind is ContentKind.ORDER:
            return self._say(book, Intent.HUMAN_REQUEST, book.order_received, wants_human=True)
        if not text:
            return self._say(book, Intent.UNKNOWN, book.media_unsupported)
        understanding = self._reader.read(text)
        try:
            return await self._answer(turn, tools, book, text, understanding)
        except ToolError:
            return self._say(book, understanding.intent, book.tools_unavailable, wants_human=True)

    def reply_language(self, turn: Turn) -> str:
        """The customer's language if we can write it, else the shop's, else English."""
        language = self._detector.choose(turn.text, turn.previous_language, turn.default_language)
        if language in PHRASEBOOKS:
            return language
        return turn.default_language if turn.default_language in PHRASEBOOKS else "en"

    async def _answer(
        self, turn: Turn, tools: ShopTools, book: Phrasebook, text: str, u: Understanding
    ) -> Reply:
        intent = u.intent
        if intent is Intent.HUMAN_REQUEST:
            handoff = book.human_handoff.format(shop=turn.shop_name)
            return self._say(book, intent, handoff, wants_human=True)
        if intent is Intent.FAQ:
            return await self._faq(tools, book, text, u)
        if intent in PRODUCT_INTENTS:
            return await self._products(tools, book, u)
        if intent is Intent.GREETING:
            return self._say(book, intent, book.greeting.format(shop=turn.shop_name))
        if intent is Intent.THANKS:
            return self._say(book, intent, book.thanks)
        return self._say(book, intent, book.unknown)

    async def _products(self, tools: ShopTools, book: Phrasebook, u: Understanding) -> Reply:
        if not u.has_product_criteria:
            return self._say(book, u.intent, book.ask_what)
        query = ProductQuery(
            text=u.search_text,
            colour=u.colour,
            min_price=u.budget.min_price if u.budget else None,
            max_price=u.budget.max_price if u.budget else None,
            sort=u.sort,
            limit=self._search_limit,
        )
        chosen = select_products(await tools.search_products(query), u, self._max_products)
        if not chosen:
            return self._say(book, u.intent, book.not_found_budget if u.budget else book.not_found)
        intro = {
            Intent.PRICE_QUESTION: book.price_intro,
            Intent.AVAILABILITY: book.availability_intro,
        }.get(u.intent, book.products_intro_budget if u.budget else book.products_intro)
        lines = [
            f"• *{p.name}* — {book.price(p.price, p.currency)} · {book.stock(p.stock)}"
            for p in chosen
        ]
        text = "\n".join((intro, *lines, book.products_outro))
        return Reply(text=text, language=book.code, intent=u.intent, products_cited=chosen)

    async def _faq(self, tools: ShopTools, book: Phrasebook, text: str, u: Understanding) -> Reply:
        kinds = ("faq", "offer") if "offers" in u.faq_topics else ("faq",)
        hits = await tools.search_knowledge(text, kinds)
        hit = best_answer(hits, book.code, u.faq_topics, self._faq_min_score, self._reader)
        if hit is None:
            return self._say(book, u.intent, book.faq_not_found, wants_human=False)
        answer = hit.answer.strip()
        if hit.language and hit.language != book.code:
            heading = book.faq_other_language.format(language=book.language_name(hit.language))
            answer = f"{heading}\n{answer}"
        return Reply(text=answer, language=book.code, intent=u.intent, knowledge_cited=(hit,))

    @staticmethod
    def _say(book: Phrasebook, intent: Intent, text: str, *, wants_human: bool = False) -> Reply:
        return Reply(text=text, language=book.code, intent=intent, wants_human=wants_human)


def select_products(found: Sequence[Product], u: Understanding, limit: int) -> tuple[Product, ...]:
    """The products worth citing: active, within budget, of a named colour, no duplicates.

    Cheapest first when the customer asked for cheap; otherwise the tool's order, with what
    is in stock first unless they asked about availability (then the asked item as it is).
    """
    seen: set[str] = set()
    kept: list[Product] = []
    for product in found:
        if product.id in seen or not product.active:
            continue
        if u.budget and not u.budget.admits(product.price):
            continue
        if u.colours and fold(product.colour or "") not in u.colours:
            continue
        seen.add(product.id)
        kept.append(product)
    if u.sort is SortOrder.PRICE_ASC:
        kept.sort(key=lambda p: p.price)
    if u.intent is not Intent.AVAILABILITY:
        kept.sort(key=lambda p: p.stock <= 0)
    return tuple(kept[:limit])


def best_answer(
    hits: Sequence[KnowledgeHit],
    language: str,
    topics: frozenset[str],
    min_score: float,
    reader: MessageReader = DEFAULT_READER,
) -> KnowledgeHit | None:
    """The hit that answers the question, or None rather than a wrong answer.

    Vector scores alone confuse FAQs ("do you ship to London?" scored the payment FAQ above
    the shipping one), so each hit's question is read with the same lexicons: a FAQ on the
    customer's topic is taken whatever its score, one on another topic never, one whose topic
    can't be told only above `min_score`. Then the customer's language, then the score.
    """
    ranked: list[tuple[bool, bool, float, KnowledgeHit]] = []
    for hit in hits:
        if not hit.answer.strip():
            continue
        hit_topics = reader.read(hit.title or hit.answer).faq_topics
        on_topic = bool(topics & hit_topics)
        if topics and hit_topics and not on_topic:
            continue
        if not on_topic and hit.score < min_score:
            continue
        ranked.append((on_topic, hit.language in (None, language), hit.score, hit))
    if not ranked:
        return None
    return max(ranked, key=lambda entry: entry[:3])[3]
