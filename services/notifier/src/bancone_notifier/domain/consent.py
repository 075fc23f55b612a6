"""Opt-out and opt-in keywords: when a customer's message is a request to stop (or resume)
marketing, and what we answer. Pure: text in, a decision out.

A keyword counts only when it is the whole message, or the whole message once polite filler
and words like "messages" are taken off its ends: "STOP", "stop please", "basta messaggi",
"per favore basta" match; "non basta il vino", "don't stop", "basta così" do not. Thanks are
deliberately not filler: in a shop chat "basta, grazie" means "nothing else, thanks".
"""

from __future__ import annotations

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
            "en": ("stop", "unsubscribe", "stop all", "opt out"),
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


def _core(words: Sequence[str]) -> tuple[str, ...]:
    start, end = 0, len(words)
    while start < end and words[start] in _FILLER:
        start += 1
    while end > start and words[end - 1] in _FILLER:
        end -= 1
    return tuple(words[start:end])


def match_keyword(text: str, keywords: Iterable[ConsentKeyword]) -> ConsentKeyword | None:
    """The keyword this message is, or None; an opt-out wins over an opt-in on a tie."""
    words = normalise(text)
    if not words or len(words) > MAX_WORDS:
        return None
    core = _core(words)
    if not core:
        return None
    found = [k for k in keywords if _core(normalise(k.phrase)) == core]
    found.sort(key=lambda k: k.action != "opt_out")
    return found[0] if found else None


def resume_word(keywords: Iterable[ConsentKeyword], language: Language) -> str | None:
    """The opt-in phrase to suggest in a confirmation, in the customer's language."""
    listed = list(keywords)
    for keyword in listed:
        if keyword.action == "opt_in" and keyword.language == language:
            return keyword.phrase.upper()
    return next((k.phrase.upper() for k in listed if k.action == "opt_in"), None)


_OPTED_OUT: dict[Language, tuple[str, str]] = {
    "it": (
        "Fatto: non riceverai più messaggi promozionali da noi.",
        " Se cambi idea, scrivi {word}.",
    ),
    "en": ("Done: you won't receive promotional messages from us any more.", " To resume, reply {word}."),
    "es": ("Hecho: ya no recibirás mensajes promocionales nuestros.", " Si cambias de idea, escribe {word}."),
}  # fmt: skip
_OPTED_IN: dict[Language, str] = {
    "it": "Fatto: riceverai di nuovo le nostre offerte. Per smettere, scrivi STOP o BASTA.",
    "en": "Done: you will receive our offers again. To stop, reply STOP.",
    "es": "Hecho: volverás a recibir nuestras ofertas. Para dejar de recibirlas, escribe ALTO.",
}


def confirmation(keyword: ConsentKeyword, keywords: Iterable[ConsentKeyword]) -> str:
    """What we answer the customer, in the language of the keyword they used."""
    if keyword.action == "opt_in":
        return _OPTED_IN[keyword.language]
    done, hint = _OPTED_OUT[keyword.language]
    word = resume_word(keywords, keyword.language)
    return done + hint.format(word=word) if word else done
