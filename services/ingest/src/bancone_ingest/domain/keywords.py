"""Accent-insensitive keyword matching for the lexical half of hybrid search.

Vectors miss exact names ("Barolo") and structured words ("red"); a cheap token overlap
catches them. Tokens are folded (lowercase, accents dropped) and their trailing
vowels/`s` trimmed so that vino/vini, rosso/rossi, wine/wines, tinto/tintos meet.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

_WORD = re.compile(r"[a-z0-9]+")
_TRIMMABLE = frozenset("aeiouys")
_MIN_STEM = 3

# Function words and shopping verbs in it/en/es: they carry no product meaning, and
# leaving them in would dilute the overlap ratio of every query.
_STOPWORDS_BY_LANGUAGE = {
    "it": """a ad al alla alle allo agli ai anche avete avere c ce cerco che chi ci come con
        cosa da dal dalla dei del della delle dello degli di e ed gli ha hai ho i il in la le
        lo ma mi ne nel nella o per piu po qual quale quali quanto quanta quanti qualche
        qualcosa sotto sono su sul sulla ti tra un una uno vorrei vostro vostra volete""",
    "en": """a about an and any are at be below can could do does for from get have how i
        in is it like looking me my need of on or please some something that the there to
        under want what which with would you your eur euro euros""",
    "es": """algo algun alguna busco como con cual cuales cuanto cuesta de del el en es esta
        hay la las lo los me menos mi necesito o para por que quiero se su sus teneis tienen
        tiene tienes un una unas unos y""",
}
STOPWORDS = frozenset(w for words in _STOPWORDS_BY_LANGUAGE.values() for w in words.split())

# Canonical colour (as the catalog stores it) → the words customers use for it.
COLOUR_WORDS: dict[str, tuple[str, ...]] = {
    "red": ("red", "rosso", "rossi", "tinto", "tintos"),
    "white": ("white", "bianco", "bianchi", "blanco", "blancos"),
    "rose": ("rose", "rosato", "rosati", "rosado", "rosados"),
    "sparkling": ("sparkling", "spumante", "spumanti", "bollicine", "espumoso", "cava"),
}
_COLOUR_BY_WORD = {word: colour for colour, words in COLOUR_WORDS.items() for word in words}


def fold(text: str) -> str:
    """Lowercase and strip accents, so "Rosé" and "rose" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(token: str) -> str:
    """Trim trailing vowels and `s` (keeping three letters): a crude it/en/es plural fold."""
    while len(token) > _MIN_STEM and token[-1] in _TRIMMABLE:
        token = token[:-1]
    return token


def terms(text: str) -> frozenset[str]:
    """The stemmed, folded content words of a text; numbers are left to price filters."""
    words = _WORD.findall(fold(text))
    return frozenset(stem(w) for w in words if w not in STOPWORDS and not w.isdigit())


def terms_of(texts: Iterable[str]) -> frozenset[str]:
    """The union of `terms` over several fields."""
    return frozenset().union(*(terms(text) for text in texts))


def term_weights(
    query_terms: frozenset[str], documents: Sequence[Iterable[str]]
) -> dict[str, float]:
    """BM25-style idf of each query term over the candidate documents.

    A term every candidate has ("vino" in a wine list, "red" once filtered on red) weighs
    almost nothing; a rare one ("Barolo") weighs most.
    """
    n = len(documents)
    sets = [frozenset(d) for d in documents]
    weights: dict[str, float] = {}
    for term in query_terms:
        df = sum(term in d for d in sets)
        weights[term] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return weights


def keyword_score(
    query_terms: frozenset[str],
    document_terms: Iterable[str],
    weights: Mapping[str, float] | None = None,
) -> float:
    """Weighted share of the query's terms found in the document's keywords, in [0, 1].

    Without `weights` every term counts the same.
    """
    if not query_terms:
        return 0.0
    w: Mapping[str, float] = weights if weights is not None else dict.fromkeys(query_terms, 1.0)
    total = sum(w.get(t, 1.0) for t in query_terms)
    if total <= 0.0:
        return 0.0
    return sum(w.get(t, 1.0) for t in query_terms.intersection(document_terms)) / total


def canonical_colour(value: str) -> str:
    """Map a colour word in any supported language to the catalog's canonical form."""
    folded = fold(value).strip()
    return _COLOUR_BY_WORD.get(folded, folded)
