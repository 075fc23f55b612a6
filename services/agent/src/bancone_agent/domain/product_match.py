"""How the offline assistant picks from what the shop's tools returned: the products that
match what the customer described (words, category, budget, semantic score), and the FAQ or
knowledge hit that answers the question. Pure functions, shared with the eval's recall bench.
"""

from collections.abc import Sequence

from bancone_agent.domain.assistant import KnowledgeHit, Product
from bancone_agent.domain.lexicon import KNOWN_SLUGS
from bancone_agent.domain.synonyms import variants
from bancone_agent.domain.text import fold, mentions
from bancone_agent.domain.understanding import (
    DEFAULT_READER,
    Intent,
    MessageReader,
    SortOrder,
    Understanding,
)


def select_products(
    found: Sequence[Product],
    u: Understanding,
    limit: int,
    *,
    words: Sequence[str] = (),
    reader: MessageReader = DEFAULT_READER,
) -> tuple[Product, ...]:
    """The products worth citing: active, within budget, of a named colour and type, no
    duplicates, and of those the ones naming most of the searched `words`.

    A search matches any of its words, so "extra virgin olive oil" finds a Prosecco Extra
    Dry and "Chianti Classico" a Verdicchio Classico: only the products naming the words
    best stay (each word weighs by where it is named: name, then tags, then description). Cheapest first when the customer asked for cheap;
    otherwise the tool's order, with what is in stock first unless they asked about
    availability (then the asked item as it is).
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
        if not in_category(product, u, reader):
            continue
        seen.add(product.id)
        kept.append(product)
    kept = _naming_most(kept, words)
    if u.sort is SortOrder.PRICE_ASC:
        kept.sort(key=lambda p: p.price)
    if u.intent is not Intent.AVAILABILITY:
        kept.sort(key=lambda p: p.stock <= 0)
    return tuple(kept[:limit])


def describes(products: Sequence[Product], u: Understanding) -> bool:
    """Whether a product found names one of the customer's descriptive words (none asked: yes).
    A semantic match can pass the relevance bar naming none ("wines ... sulphites")."""
    return not u.descriptors or any(
        mentions(product_text(p), w) for p in products for w in u.descriptors
    )


def product_text(product: Product) -> str:
    """Everything a product says about itself, folded: what a customer's words are met with."""
    return "\n".join(_product_fields(product))


def _product_fields(product: Product) -> tuple[str, str, str]:
    """Name; category, tags and attributes; description — folded, most telling first."""
    keywords = (product.category.replace("-", " "), *product.tags, *product.attributes.values())
    return fold(product.name), fold(" ".join(keywords)), fold(product.description)


SEMANTIC_BAR = 0.5
"""A product the customer's words don't name passes the relevance bar only when the semantic
search scored it at least this (cosine similarity of the multilingual embedder)."""

_FIELD_WEIGHTS = (3, 2, 1)
"""A word in the name tells more than one in the tags, more than one in the description."""


def relevance(product: Product, words: Sequence[str]) -> int:
    fields = tuple(zip(_FIELD_WEIGHTS, _product_fields(product), strict=True))
    return sum(
        max(
            (weight for weight, text in fields if any(mentions(text, v) for v in variants(w))),
            default=0,
        )
        for w in words
    )


def in_category(product: Product, u: Understanding, reader: MessageReader = DEFAULT_READER) -> bool:
    """Whether the product is of the type the customer asked for (any, when none).

    A product filed under a category the lexicon knows is in or out by its slug; one under
    a shop's own slug (or none) is in when its words name the asked type, or when only a
    colour was asked (the colour filter decides).
    """
    slugs = u.category_slugs
    if not slugs or product.category in slugs:
        return True
    if product.category in KNOWN_SLUGS:
        return False
    return not u.categories or bool(reader.categories_in(product_text(product)) & u.categories)


def _naming_most(products: list[Product], words: Sequence[str]) -> list[Product]:
    """The products that name the searched words best (a word in the name counts most).

    The relevance bar: a product naming none of the words (nor their translations) is not
    an answer, whatever the search returned; none left means "we don't have it".
    """
    if not words or not products:
        return products
    scores = [relevance(p, words) for p in products]
    best = max(scores)
    if best:
        return [p for p, n in zip(products, scores, strict=True) if n == best]
    return [p for p in products if (p.match_score or 0.0) >= SEMANTIC_BAR]


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
        ranked.append((on_topic, hit.answer_in(language) is not None, hit.score, hit))
    if not ranked:
        return None
    return max(ranked, key=lambda entry: entry[:3])[3]


def coverage(text: str, words: Sequence[str]) -> int:
    """How many of the customer's words (or their translations) folded `text` names."""
    return sum(any(mentions(text, v) for v in variants(w)) for w in words)


def faq_text(hit: KnowledgeHit, *, answers: bool = True) -> str:
    """What a FAQ says, in every language the shop wrote it in, folded: its question and tags,
    and (`answers`) its answer."""
    parts = [hit.title, " ".join(str(t) for t in hit.payload.get("tags", ()))]
    if answers:
        parts.append(hit.answer)
    translations = hit.payload.get("translations")
    if isinstance(translations, dict):
        for fields in translations.values():
            if isinstance(fields, dict):
                parts.extend(str(v) for k, v in fields.items() if answers or k == "question")
    return fold("\n".join(parts))


def faq_naming(
    hits: Sequence[KnowledgeHit], words: Sequence[str], *, better_than: int
) -> KnowledgeHit | None:
    """The FAQ that names more of the customer's words than the best product does.

    For questions no topic cue reads ("fate copie delle chiavi?", "can you tint paint?",
    "¿hacéis copias de llaves?"): the shop's own FAQ on a service it offers names the words
    (in some language of it, or their translations) while the products share one at most (a
    padlock "with three keys"). It must name at least half of the words and more than
    `better_than` (the best product's count); ties go to the products. Between FAQs, the one
    naming most words, then most of them in its question and tags ("can you tint paint?" is
    the tinting FAQ's question, and only a word of the returns FAQ's answer).
    """
    if not words:
        return None
    needed = max(better_than + 1, (len(words) + 1) // 2)
    best: tuple[int, int, KnowledgeHit] | None = None
    for hit in hits:
        if hit.kind != "faq" or not hit.answer.strip():
            continue
        named = coverage(faq_text(hit), words)
        if named < needed:
            continue
        asked = coverage(faq_text(hit, answers=False), words)
        if best is None or (named, asked) > best[:2]:
            best = (named, asked, hit)
    return best[2] if best else None
