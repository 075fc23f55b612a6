"""Opt-out and opt-in keywords: when a customer's message is a request to stop (or resume)
marketing. Shared by the notifier (which records it in the consent ledger and confirms it) and
the agent (which does not answer it), so both read a message the same way. Pure: text in, a
decision out.

A keyword counts only when it is the whole message, or the whole message once polite filler
and words like "messages" are taken off its ends: "STOP", "stop please", "basta messaggi",
"per favore basta" match; "non basta il vino", "don't stop", "basta così" do not. Thanks are
deliberately not filler: in a shop chat "basta, grazie" means "nothing else, thanks".

A tenant's own list replaces `DEFAULT_KEYWORDS` (the notifier's `set_consent_keywords`, the
agent's `AgentConfig.consent_keywords`; docs/consent-and-window.md).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

ConsentAction = Literal["opt_out", "opt_in"]
Language = Literal["it", "en", "es"]
LANGUAGES: tuple[Language, ...] = ("it", "en", "es")


@dataclass(frozen=True, slots=True)
class ConsentKeyword:
    """A phrase that, said alone, opts the customer out of (or back into) marketing."""

    phrase: str
    action: ConsentAction
    language: Language


def _defaults(
    action: ConsentAction, phrases: dict[Language, tuple[str, ...]]
) -> list[ConsentKeyword]:
    return [ConsentKeyword(p, action, lang) for lang, group in phrases.items() for p in group]


DEFAULT_KEYWORDS: tuple[ConsentKeyword, ...] = (
    *_defaults(
        "opt_out",
        {
            "it": ("basta", "cancella", "cancellami", "annulla iscrizione", "disiscrivimi"),
            "en": ("stop", "unsubscribe", "opt out"),
            "es": ("alto", "baja", "darme de baja", "cancelar suscripcion"),
        },
    ),
    *_defaults(
        "opt_in",
        {
            "it": ("iscrivimi", "riattiva"),
            "en": ("start", "subscribe"),
            "es": ("alta", "darme de alta", "suscribirme"),
        },
    ),
)
"""Used while a tenant has not configured its own list."""

_FILLER = frozenset(
    {
        # politeness (thanks excluded on purpose, see the module docstring)
        "please", "pls", "plz", "per", "favore", "piacere", "por", "favor",
        # "messages" and the like
        "messages", "message", "msgs", "sms", "texts", "messaggi", "messaggio", "mensajes",
        "mensaje", "promo", "promos", "promozioni", "promociones", "marketing",
        # small words around them: "stop sending me messages", "basta con i messaggi"
        "sending", "send", "me", "mi", "now", "ora", "subito", "adesso", "ya", "all", "tutto",
        "tutti", "con", "i", "the", "de", "los", "di", "dei", "with", "to", "inviarmi",
        "mandarmi", "enviarme",
    }
)  # fmt: skip
_NOT_WORD = re.compile(r"[^\w']+")
MAX_WORDS = 8
"""A longer message is a conversation, not a command."""


def normalise(text: str) -> tuple[str, ...]:
    """Lower-case words without accents or punctuation ("Cancelar suscripción!" → 2 words)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return tuple(word for word in _NOT_WORD.sub(" ", plain).replace("_", " ").split() if word)


class InvalidKeywordError(ValueError):
    """A configured keyword that could never match (empty, only filler, too long) or names an
    unknown action or language."""


def checked_keywords(keywords: Iterable[ConsentKeyword]) -> tuple[ConsentKeyword, ...]:
    """The keywords a tenant configures, refused whole if one of them is unusable."""
    result = []
    for keyword in keywords:
        if keyword.action not in ("opt_out", "opt_in") or keyword.language not in LANGUAGES:
            raise InvalidKeywordError(f"{keyword.phrase!r}: unknown action or language")
        words = normalise(keyword.phrase)
        if not _core(words) or len(words) > MAX_WORDS:
            raise InvalidKeywordError(f"{keyword.phrase!r} can never be a whole message request")
        result.append(keyword)
    phrases = [_core(normalise(k.phrase)) for k in result]
    if len(set(phrases)) != len(phrases):
        raise InvalidKeywordError("a phrase is listed twice")
    return tuple(result)


def _core(words: Sequence[str]) -> tuple[str, ...]:
    start, end = 0, len(words)
    while start < end and words[start] in _FILLER:
        start += 1
    while end > start and words[end - 1] in _FILLER:
        end -= 1
    return tuple(words[start:end])


@functools.lru_cache(maxsize=1024)
def _phrase_core(phrase: str) -> tuple[str, ...]:
    """A keyword's words as a message must say them: every customer text is compared with
    every keyword of its shop, so each phrase is normalised once."""
    return _core(normalise(phrase))


def match_keyword(text: str, keywords: Iterable[ConsentKeyword]) -> ConsentKeyword | None:
    """The keyword this message is, or None; an opt-out wins over an opt-in on a tie."""
    words = normalise(text)
    if not words or len(words) > MAX_WORDS:
        return None
    core = _core(words)
    if not core:
        return None
    found = [k for k in keywords if _phrase_core(k.phrase) == core]
    found.sort(key=lambda k: k.action != "opt_out")
    return found[0] if found else None
