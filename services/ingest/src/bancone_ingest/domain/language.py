"""A small language guess for passages (it, en, es), from common function words.

Enough to tag a chunk for the assistant (answer in the customer's language, say which language
the source is in); anything else is `und` (undetermined), never a wrong guess forced.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORDS: dict[str, frozenset[str]] = {
    "it": _words(
        "il lo la gli le di del della dei delle che per con non una sono è nel nella al alla "
        "anche più questo questa come se ma ogni entro dal dalla"
    ),
    "en": _words(
        "the of and to in is are for with that this on be not it as by from or within any "
        "your our will you at an"
    ),
    "es": _words(
        "de el los las del que en y por con para una es son no se su sus al como pero este esta "
        "más hasta desde dentro"
    ),
}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
UNDETERMINED = "und"


def guess_language(text: str, *, minimum_hits: int = 2) -> str:
    """`it`, `en` or `es` when the text's function words say so clearly, else `und`."""
    tokens = [t.lower() for t in _TOKEN.findall(text)]
    scores = {lang: sum(1 for t in tokens if t in words) for lang, words in _WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < minimum_hits or ranked[0] == ranked[1]:
        return UNDETERMINED
    return best
