"""What a customer's free text in the order dialog is: a name, an address, or the words of a
request that name a product (the order desk asks for name and address one at a time and must
not take "avete anche del Chianti?" for a name)."""

from __future__ import annotations

from collections.abc import Sequence

from bancone_agent.domain.references import REFERRING_WORDS
from bancone_agent.domain.text import fold, words
from bancone_agent.domain.understanding import DEFAULT_READER, Intent

MAX_NAME_WORDS = 6


def own_words(keywords: Sequence[str]) -> tuple[str, ...]:
    """The keywords that name a product (not "one", "quello", "bottiglie")."""
    filler = {"bottiglia", "bottiglie", "bottle", "bottles", "botella", "botellas", "pezzi"}
    return tuple(k for k in keywords if k not in REFERRING_WORDS and k not in filler)


_NOT_A_NAME_START = frozenset(
    [
        "avete",
        "avresti",
        "hai",
        "c",
        "ce",
        "cosa",
        "quanto",
        "quanti",
        "quale",
        "quali",
        "come",
        "dove",
        "vorrei",
        "voglio",
        "posso",
        "have",
        "has",
        "do",
        "does",
        "what",
        "which",
        "how",
        "where",
        "is",
        "are",
        "can",
        "could",
        "may",
        "want",
        "tienes",
        "teneis",
        "tienen",
        "tiene",
        "hay",
        "que",
        "cual",
        "cuanto",
        "cuantos",
        "como",
        "donde",
        "quiero",
        "puedo",
        "ok",
        "okay",
        "si",
        "no",
        "grazie",
        "thanks",
        "gracias",
        "ciao",
        "hola",
        "hello",
        "hi",
        "buongiorno",
        "buonasera",
    ]
)


def looks_like_name(text: str) -> bool:
    """A short answer without digits that asks for nothing: "Giulia Rossi", not "avete
    anche del Chianti" nor "vini rossi sotto i 20"."""
    tokens = words(fold(text))
    if not 0 < len(tokens) <= MAX_NAME_WORDS or any(c.isdigit() for c in text):
        return False
    if tokens[0] in _NOT_A_NAME_START:
        return False
    u = DEFAULT_READER.read(text)
    # colours are no sign: "Rossi", "Bianchi" are surnames
    said_something = u.categories or u.budget or u.faq_topics or u.percents
    return not said_something and u.intent in (Intent.PRODUCT_SEARCH, Intent.UNKNOWN)


def looks_like_address(text: str) -> bool:
    """Long enough to be one: a number and a word, or a few words."""
    tokens = words(fold(text))
    return len(text) >= 5 and (any(c.isdigit() for c in text) or len(tokens) >= 2)
