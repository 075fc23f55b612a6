"""What a customer's message asks for: an intent and the slots a product search needs.

Rules over the lexicons of every supported language at once (customers mix them: "hola,
avete vino rosso?"). No model: the offline assistant must be predictable and explainable.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from bancone_agent.domain.lexicon import (
    CATEGORY_SLUGS,
    COLOUR_CATEGORIES,
    CURRENCY_SYMBOLS,
    LEXICONS,
    Lexicon,
)
from bancone_agent.domain.order_reading import CartAction, read_order_request
from bancone_agent.domain.text import fold, split_elisions, words


class Intent(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    PRODUCT_SEARCH = "product_search"
    AVAILABILITY = "availability"
    PRICE_QUESTION = "price_question"
    FAQ = "faq"
    OFFERS = "offers"
    HUMAN_REQUEST = "human_request"
    ORDER = "order"
    """Cart and checkout: add, remove, quantities, pickup or delivery (`order_reading.py`)."""
    ORDER_STATUS = "order_status"
    UNKNOWN = "unknown"


PRODUCT_INTENTS = frozenset({Intent.PRODUCT_SEARCH, Intent.AVAILABILITY, Intent.PRICE_QUESTION})


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"


@dataclass(frozen=True)
class Budget:
    """A price range the customer stated; either bound may be open."""

    min_price: Decimal | None = None
    max_price: Decimal | None = None
    currency: str | None = None
    """ISO code when the customer named one ("£30" -> GBP); None means the shop's."""

    def admits(self, price: Decimal) -> bool:
        if self.max_price is not None and price > self.max_price:
            return False
        return self.min_price is None or price >= self.min_price


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    budget: Budget | None = None
    colours: frozenset[str] = frozenset()
    """Canonical colours (red, white, rose, sparkling) the customer named."""
    sort: SortOrder = SortOrder.RELEVANCE
    keywords: tuple[str, ...] = ()
    """Product words left once intent cues, slots and stopwords are gone."""
    faq_topics: frozenset[str] = field(default_factory=frozenset)
    categories: frozenset[str] = frozenset()
    """Product types the customer named (`CATEGORY_SLUGS` keys: olio, formaggi, birra...)."""
    category_words: frozenset[str] = frozenset()
    """The keywords that named them ("aceite", "cheese"): the category filter says them."""
    percents: tuple[Decimal, ...] = ()
    """Percentages the customer wrote ("dammi il 90% di sconto")."""

    @property
    def search_text(self) -> str:
        return " ".join(self.keywords)

    @property
    def descriptors(self) -> tuple[str, ...]:
        """Keywords other than the type's own words: "pecorino" in "pecorino cheese"."""
        return tuple(k for k in self.keywords if k not in self.category_words)

    @property
    def category_slugs(self) -> frozenset[str]:
        """The catalog categories the asked products must be in; empty = any.

        Each named type gives its slugs, narrowed by a named wine colour ("vino rosso" is
        `vino-rosso`); a colour alone ("un bianco") gives its wine category.
        """
        by_colour = frozenset(COLOUR_CATEGORIES[c] for c in self.colours if c in COLOUR_CATEGORIES)
        if not self.categories:
            return by_colour
        slugs: set[str] = set()
        for key in self.categories:
            own = CATEGORY_SLUGS.get(key, frozenset())
            slugs |= (own & by_colour) or own
        return frozenset(slugs)

    @property
    def category(self) -> str | None:
        """The one category slug to filter a search on; None when there are none or several."""
        slugs = self.category_slugs
        return next(iter(slugs)) if len(slugs) == 1 else None

    @property
    def colour(self) -> str | None:
        """The one colour to filter on; with two ("rosso o bianco") none is a filter."""
        return next(iter(self.colours)) if len(self.colours) == 1 else None

    @property
    def has_product_criteria(self) -> bool:
        """Whether there is anything to search the catalog with."""
        return bool(
            self.keywords
            or self.colours
            or self.categories
            or self.budget
            or self.sort is not SortOrder.RELEVANCE
        )


def _alternation(phrases: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted({with_clitics(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)")


_ES_CLITICS = r"(?:(?:me|te|se|nos|os)?(?:l[oa]s?|les?)|me|te|se|nos|os)"
_IT_CLITICS = r"(?:(?:me|te|se|ce|ve|glie)?(?:l[oaie]|ne)|mi|ti|ci|vi|si|gli|l[oaie]|ne)"
_ES_INFINITIVE = re.compile(r"(?<=[a-z][a-z])([aei]r)$")
_IT_INFINITIVE = re.compile(r"(?<=[a-z][a-z])([aei]r)e$")


def with_clitics(cue: str) -> str:
    """A cue ending in an infinitive also matches it with pronouns attached, as Spanish and
    Italian write them: "recoger" finds "recogerlo", "ritirare" finds "ritirarlo",
    "devolver" finds "devolvérselo" (folded). Other cues are left as they are."""
    if _IT_INFINITIVE.search(cue):
        return _IT_INFINITIVE.sub(rf"\1(?:e|{_IT_CLITICS})", cue)
    return _ES_INFINITIVE.sub(rf"\1{_ES_CLITICS}?", cue)


def _merged(attribute: str, lexicons: Iterable[Lexicon]) -> list[str]:
    return [phrase for lex in lexicons for phrase in getattr(lex, attribute)]


def _escaped(phrases: Iterable[str]) -> str:
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


class MessageReader:
    """Compiled cue patterns of a set of lexicons; `read` turns a text into an Understanding."""

    def __init__(self, lexicons: Iterable[Lexicon] = LEXICONS.values()) -> None:
        lexs = tuple(lexicons)
        self._stopwords = frozenset().union(*(lex.stopwords for lex in lexs))
        self._colours = {word: colour for lex in lexs for word, colour in lex.colours.items()}
        self._currencies = dict(CURRENCY_SYMBOLS)
        for lex in lexs:
            self._currencies.update(lex.currencies)
        cues = ("shopping", "greeting", "thanks", "help", "human", "price", "availability", "cheap")
        self._cues = {name: _alternation(_merged(name, lexs)) for name in cues}
        topics = {topic for lex in lexs for topic in lex.faq_topics}
        self._topics = {
            topic: _alternation(p for lex in lexs for p in lex.faq_topics.get(topic, ()))
            for topic in sorted(topics)
        }
        kinds = {kind for lex in lexs for kind in lex.categories}
        self._categories = {
            kind: _alternation(p for lex in lexs for p in lex.categories.get(kind, ()))
            for kind in sorted(kinds)
        }
        self._budget = _BudgetGrammar(lexs, self._currencies)

    def read(self, text: str) -> Understanding:
        folded = fold(text)
        budget, budget_spans = self._budget.parse(folded)
        percents = tuple(_decimal(m[1]) for m in _PERCENT.finditer(folded))
        found = {name: pattern.search(folded) is not None for name, pattern in self._cues.items()}
        topics = frozenset(t for t, pattern in self._topics.items() if pattern.search(folded))
        masked = _mask(folded, budget_spans, self._cues.values(), self._topics.values())
        tokens = [t.rstrip("'") for t in split_elisions(words(masked))]
        categories, category_words = self._types_in(masked)
        colours = frozenset(self._colours[t] for t in tokens if t in self._colours)
        keywords = tuple(
            dict.fromkeys(
                t
                for t in tokens
                if len(t) > 1
                and t not in self._stopwords
                and t not in self._colours
                and t not in self._currencies
            )
        )
        sort = SortOrder.PRICE_ASC if found["cheap"] else SortOrder.RELEVANCE
        slots = Understanding(
            intent=Intent.UNKNOWN,
            budget=budget,
            colours=colours,
            sort=sort,
            keywords=keywords,
            faq_topics=topics,
            categories=categories,
            category_words=category_words,
            percents=percents,
        )
        intent = _intent(slots, found, asks="?" in text)
        if intent is not Intent.HUMAN_REQUEST:
            intent = _ordering_intent(text) or intent
        return replace(slots, intent=intent)

    def categories_in(self, text: str) -> frozenset[str]:
        """The product types (`CATEGORY_SLUGS` keys) named in `text`: "olive oil" -> olio."""
        return self._types_in(fold(text))[0]

    def _types_in(self, text: str) -> tuple[frozenset[str], frozenset[str]]:
        """The product types named in folded `text`, and the words that named them."""
        kinds: set[str] = set()
        said: set[str] = set()
        for kind, pattern in self._categories.items():
            for m in pattern.finditer(text):
                kinds.add(kind)
                said.update(t.rstrip("'") for t in split_elisions(words(m[0])))
        return frozenset(kinds), frozenset(said)


MAX_BARE_KEYWORDS = 3
"""A message of unknown words is read as product names only when it is short ("Barolo?")."""


def _intent(slots: Understanding, found: dict[str, bool], *, asks: bool) -> Intent:
    """The first rule that holds, most specific first."""
    chit_chat = found["greeting"] or found["thanks"]
    if found["human"]:
        return Intent.HUMAN_REQUEST
    if "offers" in slots.faq_topics:
        return Intent.OFFERS
    if slots.faq_topics and not (slots.budget or slots.colours or found["cheap"]):
        return Intent.FAQ
    if found["price"]:
        return Intent.PRICE_QUESTION
    if found["availability"]:
        return Intent.AVAILABILITY
    if slots.budget or slots.colours or found["cheap"]:
        return Intent.PRODUCT_SEARCH
    if found["help"]:
        return Intent.UNKNOWN
    if found["shopping"]:
        return Intent.PRODUCT_SEARCH
    if 0 < len(slots.keywords) <= MAX_BARE_KEYWORDS and (asks or not chit_chat):
        return Intent.PRODUCT_SEARCH
    if len(slots.keywords) > MAX_BARE_KEYWORDS:
        # "ciao! come faccio a ordinare una torta con la scritta?": a question, not small talk
        return Intent.UNKNOWN
    if found["thanks"]:
        return Intent.THANKS
    if found["greeting"]:
        return Intent.GREETING
    return Intent.UNKNOWN


def _ordering_intent(text: str) -> Intent | None:
    """ORDER for a cart request said as one ("ne prendo due", "add the red one", "ritiro"
    is not: it answers a question), ORDER_STATUS for "where is my order?"; None otherwise.
    A wish ("vorrei un vino rosso") stays a search: only the order desk, which knows what
    was shown, can tell it is one."""
    request = read_order_request(text)
    if request is None:
        return None
    if request.action is CartAction.STATUS:
        return Intent.ORDER_STATUS
    return Intent.ORDER if request.strong else None


def _mask(text: str, spans: Iterable[tuple[int, int]], *patterns: Iterable[re.Pattern[str]]) -> str:
    """Blank out what cues and slots consumed, so only product words remain."""
    chars = list(text)
    all_spans = list(spans)
    for group in patterns:
        for pattern in group:
            all_spans.extend(m.span() for m in pattern.finditer(text))
    for start, end in all_spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


_NUMBER = r"(?<![\d.,])\d+(?:[.,]\d{1,2})?(?![.,]?\d)"
_PERCENT = re.compile(
    r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(?:%|per\s?cento|per\s?cent|percent|por\s?ciento)(?!\w)"
)
_FILLER = r"(?:\s+(?:i|ai|agli|gli|a|al|di|dei|de|del|los|las|the|of|que))*"


class _BudgetGrammar:
    """Amounts with their qualifier: ceiling, floor, range, or a bare price (a ceiling)."""

    def __init__(self, lexicons: tuple[Lexicon, ...], currencies: dict[str, str]) -> None:
        symbols = [c for c in currencies if not c.isalpha()]
        names = [c for c in currencies if c.isalpha()]
        currency = (
            "(?:" + _escaped(symbols) + "|(?:" + _escaped(names) + r")(?!\w))"
            if symbols
            else "(?:" + _escaped(names) + r")(?!\w)"
        )
        self._currencies = currencies

        def amount(tag: str) -> str:
            return (
                rf"(?:(?P<{tag}_pre>{currency})\s*)?(?P<{tag}>{_NUMBER})"
                rf"(?:\s*(?P<{tag}_post>{currency}))?"
            )

        def cue(attribute: str) -> str:
            return _escaped(_merged(attribute, lexicons))

        join = cue("range_join")
        self._range = re.compile(
            rf"(?<!\w)(?:{cue('range_open')}){_FILLER}\s*{amount('low')}\s*"
            rf"(?:(?:{join})(?!\w)|-|\u2013){_FILLER}\s*{amount('high')}"
        )
        self._dash_range = re.compile(rf"{amount('low')}\s*[-\u2013]\s*{amount('high')}")
        self._max_before = re.compile(
            rf"(?<!\w)(?:{cue('budget_max_before')}){_FILLER}\s*{amount('value')}"
        )
        self._max_after = re.compile(rf"{amount('value')}\s*(?:{cue('budget_max_after')})(?!\w)")
        self._min_before = re.compile(
            rf"(?<!\w)(?:{cue('budget_min_before')}){_FILLER}\s*{amount('value')}"
        )
        self._bare = re.compile(amount("value"))

    def parse(self, text: str) -> tuple[Budget | None, list[tuple[int, int]]]:
        """The budget in folded `text` and the character spans it was read from."""
        for pattern in (self._range, self._dash_range):
            for m in pattern.finditer(text):
                currency = self._currency(m, "low") or self._currency(m, "high")
                if pattern is self._dash_range and currency is None:
                    continue
                low, high = sorted((_decimal(m["low"]), _decimal(m["high"])))
                return Budget(min_price=low, max_price=high, currency=currency), [m.span()]
        spans: list[tuple[int, int]] = []
        ceilings: list[tuple[Decimal, str | None]] = []
        floors: list[tuple[Decimal, str | None]] = []
        for pattern, bucket in (
            (self._max_before, ceilings),
            (self._max_after, ceilings),
            (self._min_before, floors),
        ):
            for m in pattern.finditer(text):
                if not _overlaps(m.span(), spans):
                    bucket.append((_decimal(m["value"]), self._currency(m, "value")))
                    spans.append(m.span())
        if not ceilings and not floors:
            for m in self._bare.finditer(text):
                currency = self._currency(m, "value")
                if currency is not None:
                    ceilings.append((_decimal(m["value"]), currency))
                    spans.append(m.span())
        if not ceilings and not floors:
            return None, []
        currency = next((c for _, c in ceilings + floors if c), None)
        return (
            Budget(
                min_price=max((v for v, _ in floors), default=None),
                max_price=min((v for v, _ in ceilings), default=None),
                currency=currency,
            ),
            spans,
        )

    def _currency(self, match: re.Match[str], tag: str) -> str | None:
        word = match[f"{tag}_pre"] or match[f"{tag}_post"]
        return self._currencies.get(word) if word else None


def _decimal(number: str) -> Decimal:
    return Decimal(number.replace(",", "."))


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


DEFAULT_READER = MessageReader()


def understand(text: str) -> Understanding:
    """Intent and slots of one customer message, across all supported languages."""
    return DEFAULT_READER.read(text)


def parse_budget(text: str) -> Budget | None:
    """The price range stated in `text`, if any ("sotto i 20 euro" -> max 20)."""
    return DEFAULT_READER.read(text).budget
