"""The offline assistant: rules, the shop's tools and phrasebooks; no model, no invention.

Every name, price and stock figure it writes comes from `ShopTools` results, filtered again
here (a tool that ignores a filter still can't make it cite a €30 wine for "under 20").
It is the embedded default and the fallback of the LLM assistant.
"""

import asyncio
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime

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
from bancone_agent.domain.documents import DOCUMENT_KIND, best_passage, quote
from bancone_agent.domain.memory import MAX_SHOWN, ShownItem
from bancone_agent.domain.offers import Offer, current_offers
from bancone_agent.domain.phrases import Phrasebook, phrasebook
from bancone_agent.domain.product_match import (
    best_answer,
    coverage,
    describes,
    faq_naming,
    product_text,
    select_products,
)
from bancone_agent.domain.references import (
    REFERRING_WORDS,
    resolve,
    search_of,
    without_stated_facts,
)
from bancone_agent.domain.synonyms import expand
from bancone_agent.domain.text import mentions
from bancone_agent.domain.understanding import (
    DEFAULT_READER,
    PRODUCT_INTENTS,
    Intent,
    MessageReader,
    Understanding,
)


def _utc_today() -> date:
    return datetime.now(UTC).date()


class OfflineAssistant:
    """Answers product, price, budget, availability, offer and FAQ questions from the shop's
    data, and what those rules can't answer from the shop's documents (`documents.py`)."""

    def __init__(
        self,
        *,
        max_products: int = 3,
        search_limit: int = 10,
        faq_min_score: float = 0.3,
        max_offers: int = 3,
        max_offer_products: int = 4,
        reader: MessageReader = DEFAULT_READER,
        today: Callable[[], date] = _utc_today,
    ) -> None:
        self._max_products = max_products
        self._search_limit = search_limit
        self._faq_min_score = faq_min_score
        self._max_offers = max_offers
        self._max_offer_products = max_offer_products
        self._reader = reader
        self._today = today

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        if turn.kind in SILENT_KINDS:
            return None
        language = turn.reply_language
        book = phrasebook(language)
        text = (turn.text or "").strip()
        if turn.kind is ContentKind.ORDER:
            return self._say(book, Intent.HUMAN_REQUEST, book.order_received, wants_human=True)
        if not text:
            return self._say(book, Intent.UNKNOWN, book.media_unsupported)
        understanding = without_stated_facts(turn.understanding, text)
        try:
            return await self._answer(turn, tools, book, text, understanding)
        except ToolError:
            return self._say(book, understanding.intent, book.tools_unavailable, wants_human=True)

    async def _answer(
        self, turn: Turn, tools: ShopTools, book: Phrasebook, text: str, u: Understanding
    ) -> Reply:
        intent = u.intent
        if intent is Intent.HUMAN_REQUEST:
            handoff = book.human_handoff.format(shop=turn.shop_name)
            return self._say(book, intent, handoff, wants_human=True)
        if intent is Intent.OFFERS:
            return await self._offers(turn, tools, book, text, u)
        if intent is Intent.FAQ:
            return await self._faq(tools, book, text, u)
        follow_up = resolve(u, text, turn.memory)
        if follow_up is not None and follow_up.items:
            return await self._about_items(tools, book, u, follow_up.items)
        if follow_up is not None and follow_up.understanding is not None:
            return await self._products(tools, book, follow_up.understanding)
        if intent in PRODUCT_INTENTS:
            return await self._products(tools, book, u, text)
        if intent is Intent.GREETING:
            return self._say(book, intent, book.greeting.format(shop=turn.shop_name))
        if intent is Intent.THANKS:
            return self._say(book, intent, book.thanks)
        passage = await self._passage(tools, text, u.keywords)
        if passage is not None:
            return self._passage_reply(book, intent, passage, u.keywords)
        faq = await self._faq_naming(tools, u, ())
        if faq is not None:
            return self._faq_reply(book, Intent.FAQ, faq)
        return self._say(book, intent, book.unknown)

    async def _products(
        self, tools: ShopTools, book: Phrasebook, u: Understanding, text: str = ""
    ) -> Reply:
        """The products asked for. When the catalogue has none, or only some that name none of
        what the customer described, a document passage naming what they described answers
        instead ("la degustazione del giovedì", "parmesano ... lactosa", "wines ...
        sulphites"). The type alone ("vino", "pasta") ties no passage to the question: the
        shop's documents name its types everywhere, and "a red wine under 20 €" found nothing
        is a budget answer, not a storage guide."""
        if not u.has_product_criteria:
            passage = await self._passage(tools, text, u.descriptors, words_needed=True)
            if passage is not None:
                return self._passage_reply(book, u.intent, passage, u.keywords)
            return self._say(book, u.intent, book.ask_what)
        chosen, closest = await self._find_products(tools, u)
        faq = await self._faq_naming(tools, u, chosen) if text else None
        if faq is not None:
            return self._faq_reply(book, Intent.FAQ, faq)
        if text and (not chosen or closest or not describes(chosen, u)):
            passage = await self._passage(tools, text, u.descriptors, words_needed=True)
            if passage is not None:
                return self._passage_reply(book, u.intent, passage, u.keywords)
        if not chosen:
            return await self._not_found(tools, book, u)
        return self._listing(book, u, chosen, closest=closest)

    async def _faq_naming(
        self, tools: ShopTools, u: Understanding, chosen: Sequence[Product]
    ) -> KnowledgeHit | None:
        """The shop's FAQ on a service it offers, when it names the customer's words better
        than every product found ("fate copie delle chiavi?": `product_match.faq_naming`).
        Never for a budget or a colour: those ask for products. Knowledge search down is no
        answer, not a failure."""
        words = [k for k in u.keywords if k not in REFERRING_WORDS]
        if not words or u.budget or u.colours:
            return None
        covered = max((coverage(product_text(p), words) for p in chosen), default=0)
        if covered == len(words):
            return None
        try:
            hits = await tools.search_knowledge(" ".join(words), ("faq",))
        except ToolError:
            return None
        return faq_naming(hits, words, better_than=covered)

    def _listing(
        self,
        book: Phrasebook,
        u: Understanding,
        chosen: Sequence[Product],
        *,
        closest: bool = False,
    ) -> Reply:
        intro = {
            Intent.PRICE_QUESTION: book.price_intro,
            Intent.AVAILABILITY: book.availability_intro,
        }.get(u.intent, book.products_intro_budget if u.budget else book.products_intro)
        if closest:
            intro = book.products_intro_closest
        # Each variant is a line of its own ("Barolo 2019 — 1,5 l"), with its own SKU, so a
        # reference ("il secondo") and the cart name the variant.
        chosen = [s for p in chosen for s in p.sellable()][:MAX_SHOWN]
        lines = [
            f"• *{p.name}* — {book.price(p.price, p.currency)} · {book.stock(p.stock)}"
            for p in chosen
        ]
        text = "\n".join((intro, *lines, book.products_outro))
        return Reply(
            text=text,
            language=book.code,
            intent=u.intent,
            products_cited=tuple(chosen),
            search=search_of(u),
        )

    async def _about_items(
        self, tools: ShopTools, book: Phrasebook, u: Understanding, items: Sequence[ShownItem]
    ) -> Reply:
        """The items a follow-up points at, as the catalog has them now (never as
        remembered: a price may have changed since)."""
        found = await asyncio.gather(*(self._current(tools, i) for i in items))
        chosen = [p for p in found if p is not None][: self._max_products]
        if not chosen:
            return await self._not_found(tools, book, u)
        return self._listing(book, u, chosen)

    async def _current(self, tools: ShopTools, item: ShownItem) -> Product | None:
        product = await tools.get_product(item.id)
        return product if product is not None and product.active else None

    async def _find_products(
        self, tools: ShopTools, u: Understanding
    ) -> tuple[tuple[Product, ...], bool]:
        """The products to cite, and whether they match the request only in part.

        In turn, until one finds something: the customer's words within the named category
        (the category filter says the type's own words: "queso" needn't be in a product's
        text); all their words without the filter (a shop with its own category slugs, judged
        by the products' words); then, when they named a type or a colour, that alone. The
        last two match only in part when no product found names any of the customer's other
        words ("fresco", "Barolo" under 20 €), which the reply says.
        """
        slug = u.category
        attempts: list[tuple[tuple[str, ...], str | None]] = [
            (u.descriptors if slug else u.keywords, slug)
        ]
        if slug:
            attempts.append((u.keywords, None))
        if u.descriptors and u.category_slugs:
            type_words = () if slug else tuple(k for k in u.keywords if k in u.category_words)
            attempts.append((type_words, slug))
        for n, (words, category) in enumerate(attempts):
            found = await tools.search_products(self._query(u, words, category))
            chosen = select_products(found, u, self._max_products, words=words, reader=self._reader)
            if chosen:
                described = any(mentions(product_text(p), w) for p in chosen for w in u.descriptors)
                return chosen, n > 0 and bool(u.descriptors) and not described
        return (), False

    def _query(self, u: Understanding, words: Sequence[str], category: str | None) -> ProductQuery:
        return ProductQuery(
            text=" ".join(expand(words)),
            category=category,
            colour=u.colour,
            min_price=u.budget.min_price if u.budget else None,
            max_price=u.budget.max_price if u.budget else None,
            sort=u.sort,
            limit=self._search_limit,
        )

    async def _not_found(self, tools: ShopTools, book: Phrasebook, u: Understanding) -> Reply:
        """Nothing to cite, said plainly: out of budget; or "we don't have X" (X as the
        customer named it), with the kinds of product the shop does sell and a person offered.
        Never a list of other things presented as an answer."""
        if u.budget:
            return self._say(book, u.intent, book.not_found_budget)
        what = self._asked_for(book, u)
        if not what:
            return self._say(book, u.intent, book.not_found)
        text = book.not_sold.format(what=what)
        sold = await self._shop_categories(tools)
        if sold:
            text = f"{text}\n{book.we_sell.format(categories=', '.join(sold))}"
        return self._say(book, u.intent, text)

    @staticmethod
    def _asked_for(book: Phrasebook, u: Understanding) -> str:
        if u.categories and not u.colours:
            names = dict.fromkeys(book.category_name(k) for k in sorted(u.categories))
            return ", ".join(names)
        return " ".join(k for k in u.keywords if k not in REFERRING_WORDS)

    async def _shop_categories(self, tools: ShopTools, most: int = 6) -> list[str]:
        """The shop's own product categories (as words), most stocked first."""
        try:
            listed = await tools.search_products(ProductQuery(limit=100))
        except ToolError:
            return []
        counts: dict[str, int] = {}
        for product in listed:
            if product.active and product.category:
                counts[product.category] = counts.get(product.category, 0) + 1
        ranked = sorted(counts, key=lambda c: -counts[c])[:most]
        return [c.replace("-", " ") for c in ranked]

    async def _offers(
        self, turn: Turn, tools: ShopTools, book: Phrasebook, text: str, u: Understanding
    ) -> Reply:
        """The shop's current offers, those on what the customer named first.

        Each with its title, its discount as the data states it, its period and the products
        it covers (names from the catalog). The description is in the shop's language, so it
        is shown to customers writing that language only. No offers: a FAQ on discounts may
        still answer ("sconti per quantità?"), else we say there are none. A discount the
        customer names that no offer gives ("dammi il 90%") is the shop's to decide: we say
        so, cite nothing and offer a person.
        """
        offers = current_offers(await tools.list_offers(), self._today())
        offered = {o.discount_percent for o in offers}
        if any(p not in offered for p in u.percents):
            return self._say(book, u.intent, book.discount_not_offered)
        if u.percents:  # "avete sconti del 15%?": the offers giving it
            offers = [o for o in offers if o.discount_percent in u.percents]
        if not offers:
            hits = await tools.search_knowledge(text, ("faq",))
            hit = best_answer(hits, book.code, frozenset({"offers"}), float("inf"), self._reader)
            if hit is not None:
                return self._faq_reply(book, u.intent, hit)
            return self._say(book, u.intent, book.no_offers)
        found: tuple[Product, ...] = ()
        intro = book.offers_intro
        shown = offers
        if u.keywords or u.colours or u.categories:
            words = u.descriptors if u.category else u.keywords
            query = self._query(u, words, u.category)
            found = select_products(
                await tools.search_products(query),
                u,
                self._search_limit,
                words=words,
                reader=self._reader,
            )
            skus = {p.sku for p in found}
            relevant = [o for o in offers if skus & set(o.product_skus) or o.mentions_any(words)]
            intro = book.offers_intro_matching if relevant else book.offers_none_matching
            shown = relevant or offers
        shown = shown[: self._max_offers]
        products = await self._offer_products(tools, shown, found)
        blocks = [intro]
        for offer in shown:
            blocks.append(self._offer_lines(book, offer, products, turn.default_language))
        blocks.append(book.offers_outro)
        named = {s: products[s] for o in shown for s in o.product_skus if s in products}
        cited = tuple({p.id: p for p in named.values()}.values())
        return Reply(
            text="\n".join(blocks),
            language=book.code,
            intent=u.intent,
            products_cited=cited,
            knowledge_cited=tuple(o.hit for o in shown),
        )

    async def _offer_products(
        self, tools: ShopTools, offers: Sequence[Offer], known: Iterable[Product]
    ) -> dict[str, Product]:
        """Sku -> the catalog's product, for the first few skus of each offer shown."""
        by_sku = {p.sku: p for p in known}
        wanted = dict.fromkeys(
            sku for o in offers for sku in o.product_skus[: self._max_offer_products]
        )
        missing = [sku for sku in wanted if sku not in by_sku]
        for product in await asyncio.gather(*(self._by_sku(tools, s) for s in missing)):
            if product is not None:
                by_sku[product.sku] = product
        return by_sku

    async def _by_sku(self, tools: ShopTools, sku: str) -> Product | None:
        found = await tools.search_products(ProductQuery(text=sku, limit=5))
        return next((p for p in found if p.sku == sku and p.active), None)

    def _offer_lines(
        self, book: Phrasebook, offer: Offer, products: dict[str, Product], shop_language: str
    ) -> str:
        terms = [
            book.offer_discount.format(percent=book.percent(offer.discount_percent))
            if offer.discount_percent is not None
            else None,
            book.validity(offer.valid_from, offer.valid_until),
        ]
        said = ", ".join(t for t in terms if t)
        title = offer.hit.translated("title", book.code) or offer.title
        lines = [f"• *{title}*" + (f" — {said}" if said else "")]
        description = offer.hit.translated("description", book.code)
        if description is None and book.code == shop_language:
            description = offer.description
        if description:
            lines.append(f"  {description}")
        skus = offer.product_skus[: self._max_offer_products]
        names = [products[s].name for s in skus if s in products]
        if names:
            more = "…" if len(offer.product_skus) > len(skus) else ""
            lines.append("  " + book.offer_products.format(names="; ".join(names)) + more)
        return "\n".join(lines)

    async def _faq(self, tools: ShopTools, book: Phrasebook, text: str, u: Understanding) -> Reply:
        # Offers have their own intent; a document passage answers like a FAQ, with its source.
        hits = await tools.search_knowledge(text, ("faq", "document"))
        hit = best_answer(hits, book.code, u.faq_topics, self._faq_min_score, self._reader)
        if hit is not None:
            return self._faq_reply(book, u.intent, hit)
        passage = best_passage(hits, u.keywords)
        if passage is not None:
            return self._passage_reply(book, u.intent, passage, u.keywords)
        return self._say(book, u.intent, book.faq_not_found, wants_human=False)

    async def _passage(
        self, tools: ShopTools, text: str, words: Sequence[str], *, words_needed: bool = False
    ) -> KnowledgeHit | None:
        """The document passage that answers `text`, if one does (`documents.best_passage`).

        `words_needed`: only a passage naming the customer's words, whatever its score (a
        product question the catalogue can't answer is answered by a document only when the
        document names what was asked). Knowledge search down is no answer, not a failure.
        """
        if not text:
            return None
        try:
            hits = await tools.search_knowledge(text, (DOCUMENT_KIND,))
        except ToolError:
            return None
        if words_needed:
            return best_passage(hits, words, sure_score=float("inf"))
        return best_passage(hits, words)

    @staticmethod
    def _passage_reply(
        book: Phrasebook, intent: Intent, hit: KnowledgeHit, words: Sequence[str]
    ) -> Reply:
        """The passage's sentences that answer, with their source; in the document's language
        when it is not the customer's, saying so (an offline assistant cannot translate)."""
        answer = quote(hit.answer_in(book.code) or hit.text, words)
        if hit.answer_in(book.code) is None and hit.language:
            heading = book.faq_other_language.format(language=book.language_name(hit.language))
            answer = f"{heading}\n{answer}"
        if hit.citation:
            answer = f"{answer}\n{book.source_cited.format(citation=hit.citation)}"
        return Reply(text=answer, language=book.code, intent=intent, knowledge_cited=(hit,))

    @staticmethod
    def _faq_reply(book: Phrasebook, intent: Intent, hit: KnowledgeHit) -> Reply:
        """The shop's answer in the customer's language when the shop wrote one; else in the
        shop's language, saying so."""
        own = hit.answer_in(book.code)
        answer = (own or hit.answer).strip()
        if own is None and hit.language and hit.language != book.code:
            heading = book.faq_other_language.format(language=book.language_name(hit.language))
            answer = f"{heading}\n{answer}"
        if hit.citation:
            answer = f"{answer}\n{book.source_cited.format(citation=hit.citation)}"
        return Reply(text=answer, language=book.code, intent=intent, knowledge_cited=(hit,))

    @staticmethod
    def _say(book: Phrasebook, intent: Intent, text: str, *, wants_human: bool = False) -> Reply:
        return Reply(text=text, language=book.code, intent=intent, wants_human=wants_human)
