"""Answers from the shop's own documents (uploaded passages), for the offline assistant.

A document passage is consulted when the catalogue, stock, offer and FAQ rules have no
answer. Its vector score alone does not tell a relevant passage from a near one (on the demo
documents an unrelated "Do you have Barolo?" scores as high as a real question), so a passage
answers only when it scores at least `DOCUMENT_MIN_SCORE` and either the customer's own words
(or their stems) are in it, or it scores at least `DOCUMENT_SURE_SCORE` (a question in another
language than the document, with no shared word). Of the passage, the sentences naming the
customer's words are quoted; none named, its opening, within `QUOTE_CHARS`.
"""

import re
from collections.abc import Iterable, Sequence

from bancone_agent.domain.assistant import KnowledgeHit
from bancone_agent.domain.text import fold, mentions

DOCUMENT_KIND = "document"
DOCUMENT_MIN_SCORE = 0.15
"""Below this fused score (0.6 cosine + 0.4 keyword share, ingest's) a passage never answers."""
DOCUMENT_SURE_SCORE = 0.35
"""At or above it, a passage answers without sharing a word with the question."""
QUOTE_CHARS = 360
"""A passage longer than this is quoted in part: the sentences that answer."""
MIN_WORD = 4
"""Shorter words ("vino", "the") say too little to tie a question to a passage."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def best_passage(
    hits: Sequence[KnowledgeHit],
    words: Iterable[str],
    *,
    min_score: float = DOCUMENT_MIN_SCORE,
    sure_score: float = DOCUMENT_SURE_SCORE,
) -> KnowledgeHit | None:
    """The best-scoring document passage that answers, or None (say "I don't know")."""
    asked = content_words(words)
    for hit in sorted(hits, key=lambda h: -h.score):
        if hit.kind != DOCUMENT_KIND or not hit.text.strip() or hit.score < min_score:
            continue
        if hit.score >= sure_score or supports(hit, asked):
            return hit
    return None


def content_words(words: Iterable[str]) -> tuple[str, ...]:
    """The folded words long enough to tie a question to a passage."""
    return tuple(dict.fromkeys(w for w in (fold(x) for x in words) if len(w) >= MIN_WORD))


def supports(hit: KnowledgeHit, words: Sequence[str]) -> bool:
    """Whether the passage (its text, title or section) names one of `words` or its stem."""
    said = fold(" ".join((hit.title, str(hit.payload.get("section") or ""), hit.text)))
    return any(mentions(said, w) for w in words)


def quote(text: str, words: Iterable[str], limit: int = QUOTE_CHARS) -> str:
    """The passage's sentences that name most of the customer's words, in their order, within
    `limit`; none naming any, the passage's opening sentences. A short passage whole."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentences = _SENTENCE_END.split(text)
    asked = content_words(words)
    named = [sum(mentions(fold(s), w) for w in asked) for s in sentences]
    order = sorted(range(len(sentences)), key=lambda i: (-named[i], i))
    if not named or max(named) == 0:
        order = list(range(len(sentences)))
    chosen: list[int] = []
    size = 0
    for i in order:
        if chosen and (named[i] == 0 < max(named) or size + len(sentences[i]) > limit):
            break
        chosen.append(i)
        size += len(sentences[i]) + 1
    return " ".join(sentences[i] for i in sorted(chosen))
