"""Follow-ups: what "il primo", "the red one", "ese", "quello da 12 euro", "e sotto i 15?" or
"and in white?" refer to, given the conversation's memory.

Two kinds of follow-up, tried in this order:

- **A reference to items shown**: an ordinal with its article ("il primo", "the last one"),
  a price ("quello da 12 euro"), a demonstrative or pronoun ("quello", "them", "ese") with or
  without a distinguishing word ("the vegan one", "ese de pistacho"), or a bare price or
  stock question ("quanto costa?", "is it available?"). It resolves to those items.
- **A narrowing of the last search**: a message that opens with "and"/"e"/"y", or that says
  only a budget or a colour. Its criteria replace or add to the last search's: a new budget
  or colour replaces the old one, new words join the old ones.

Anything else is a new question and memory is not used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from bancone_agent.domain.memory import LastSearch, Memory, ShownItem
from bancone_agent.domain.synonyms import variants
from bancone_agent.domain.text import fold, mentions, words
from bancone_agent.domain.understanding import (
    PRODUCT_INTENTS,
    Budget,
    Intent,
    Understanding,
)

_ORDINALS = {
    **dict.fromkeys(("primo", "prima", "first", "primero", "primera"), 0),
    **dict.fromkeys(("secondo", "seconda", "second", "segundo", "segunda"), 1),
    **dict.fromkeys(("terzo", "terza", "third", "tercero", "tercera"), 2),
    **dict.fromkeys(("ultimo", "ultima", "last", "ultimos"), -1),
}
_ORDINAL = re.compile(
    r"\b(?:il|la|lo|l'|the|el|quello|quella|that)\s+(" + "|".join(_ORDINALS) + r")\b"
)
REFERRING_WORDS = frozenset(
    [
        "quello",
        "quella",
        "quelli",
        "quelle",
        "questo",
        "questa",
        "questi",
        "queste",
        "it",
        "its",
        "them",
        "they",
        "those",
        "these",
        "that",
        "this",
        "one",
        "ones",
        "ese",
        "esa",
        "esos",
        "esas",
        "este",
        "esta",
        "estos",
        "estas",
        "aquel",
        "aquella",
        "lo",
        "li",
    ]
)
"""Demonstratives and pronouns pointing back at something shown; never search words."""
_CONJUNCTION = re.compile(r"^\W*(?:e|ed|and|y|o|or|ma|but|pero|what about|e invece)\b")
_AMOUNT = re.compile(r"(\d+(?:[.,]\d{1,2})?)")
_STATED_PRICE = re.compile(
    r"\b(?:costa|costano|cuesta|cuestan|cost|costs|vale|valgono|valen)\s+"
    r"(?:(?!sotto|under|below|less|menos|meno|max|hasta|fino|entro|within)\w+\s+){0,2}?"
    r"(?:€\s*)?\d"
)


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up resolved to: items shown before, or the last search narrowed."""

    items: tuple[ShownItem, ...] = ()
    understanding: Understanding | None = None


def ordinal_in(folded: str) -> int | None:
    """The position an ordinal word anywhere in `folded` names ("del primo", "2 of the
    second", "el último": 0, 1, -1); None without one."""
    found = re.search(r"\b(" + "|".join(_ORDINALS) + r")\b", folded)
    return _ORDINALS[found[1]] if found else None


def states_a_price(text: str) -> bool:
    """Whether the customer asserts a price ("il trapano ora costa 20 euro"): a fact they
    state, never a budget to search by."""
    return _STATED_PRICE.search(fold(text)) is not None


def without_stated_facts(u: Understanding, text: str) -> Understanding:
    """The understanding with a price the customer asserted dropped (it is not a budget)."""
    if u.budget is not None and states_a_price(text):
        return replace(u, budget=None)
    return u


def resolve(u: Understanding, text: str, memory: Memory) -> FollowUp | None:
    """What this message refers to in the conversation so far; None when it is a new
    question (or there is nothing to refer to)."""
    if memory.empty or u.intent not in (*PRODUCT_INTENTS, Intent.UNKNOWN):
        return None
    folded = fold(text)
    tokens = words(folded)
    own = tuple(k for k in u.keywords if k not in REFERRING_WORDS)
    refers = bool(REFERRING_WORDS & set(tokens))
    if memory.shown:
        items = _shown_items(u, folded, own, refers, memory.shown)
        if items:
            return FollowUp(items=items)
    if memory.search is not None and _narrows(u, folded, own):
        return FollowUp(understanding=narrowed(u, own, memory.search))
    return None


def _shown_items(
    u: Understanding,
    folded: str,
    own: Sequence[str],
    refers: bool,
    shown: Sequence[ShownItem],
) -> tuple[ShownItem, ...]:
    ordinal = _ORDINAL.search(folded)
    if ordinal:
        index = _ORDINALS[ordinal[1]]
        return (shown[index],) if -len(shown) <= index < len(shown) else ()
    if refers:
        priced = [i for i in shown if any(i.price == a for a in _amounts(folded))]
        if priced:
            return tuple(priced)
    bare_question = not own and u.intent in PRODUCT_INTENTS and not u.colours and not u.budget
    if not (refers or bare_question):
        return ()
    kept = [i for i in shown if not u.colours or (i.colour or "") in u.colours]
    if own:
        kept = [i for i in kept if all(_names(i.words, w) for w in own)]
    return tuple(kept)


def _names(item_words: str, word: str) -> bool:
    return any(mentions(item_words, v) for v in variants(word))


def _amounts(folded: str) -> list[Decimal]:
    found: list[Decimal] = []
    for m in _AMOUNT.finditer(folded):
        try:
            found.append(Decimal(m[1].replace(",", ".")))
        except InvalidOperation:
            continue
    return found


def _narrows(u: Understanding, folded: str, own: Sequence[str]) -> bool:
    if u.categories:
        return False
    if _CONJUNCTION.search(folded):
        return True
    return not own and bool(u.budget or u.colours)


def narrowed(u: Understanding, own: Sequence[str], last: LastSearch) -> Understanding:
    """The last search with this message's criteria: its budget and colours replace the old
    ones, its words join the old words."""
    budget = u.budget
    if budget is None and (last.min_price is not None or last.max_price is not None):
        budget = Budget(min_price=last.min_price, max_price=last.max_price)
    keywords = tuple(dict.fromkeys((*last.keywords, *own)))
    intent = u.intent if u.intent in PRODUCT_INTENTS else Intent.PRODUCT_SEARCH
    return replace(
        u,
        intent=intent,
        budget=budget,
        colours=u.colours or frozenset(last.colours),
        keywords=keywords,
        categories=frozenset(last.categories),
        category_words=frozenset(last.category_words),
    )


def search_of(u: Understanding) -> LastSearch:
    """A product search's criteria, as memory keeps them."""
    return LastSearch(
        keywords=tuple(k for k in u.keywords if k not in REFERRING_WORDS),
        categories=tuple(sorted(u.categories)),
        category_words=tuple(sorted(u.category_words)),
        colours=tuple(sorted(u.colours)),
        min_price=u.budget.min_price if u.budget else None,
        max_price=u.budget.max_price if u.budget else None,
    )
