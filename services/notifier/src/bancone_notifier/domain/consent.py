"""What we answer a customer's opt-out or opt-in keyword. Pure.

The matcher itself (`match_keyword`, the default keywords, the filler rules) lives in
`bancone_contracts.consent_keywords`, shared with the agent, which stays silent on the same
messages; its names are re-exported here for the notifier's code.
"""

from __future__ import annotations

from collections.abc import Iterable

from bancone_contracts.consent_keywords import (
    DEFAULT_KEYWORDS,
    LANGUAGES,
    MAX_WORDS,
    ConsentAction,
    ConsentKeyword,
    InvalidKeywordError,
    Language,
    checked_keywords,
    match_keyword,
    normalise,
)

__all__ = [
    "DEFAULT_KEYWORDS",
    "LANGUAGES",
    "MAX_WORDS",
    "ConsentAction",
    "ConsentKeyword",
    "InvalidKeywordError",
    "Language",
    "checked_keywords",
    "confirmation",
    "match_keyword",
    "normalise",
    "suggested_phrase",
]


def suggested_phrase(
    keywords: Iterable[ConsentKeyword], action: ConsentAction, language: Language
) -> str | None:
    """The phrase to suggest in a confirmation, in the customer's language if there is one."""
    listed = [k for k in keywords if k.action == action]
    chosen = next((k for k in listed if k.language == language), listed[0] if listed else None)
    return chosen.phrase.upper() if chosen else None


_CONFIRMATIONS: dict[tuple[ConsentAction, Language], tuple[str, str]] = {
    ("opt_out", "it"): (
        "Fatto: non riceverai più messaggi promozionali da noi.",
        " Se cambi idea, scrivi {word}.",
    ),
    ("opt_out", "en"): (
        "Done: you won't receive promotional messages from us any more.",
        " To resume, reply {word}.",
    ),
    ("opt_out", "es"): (
        "Hecho: ya no recibirás mensajes promocionales nuestros.",
        " Si cambias de idea, escribe {word}.",
    ),
    ("opt_in", "it"): ("Fatto: riceverai di nuovo le nostre offerte.", " Per smettere, scrivi {word}."),
    ("opt_in", "en"): ("Done: you will receive our offers again.", " To stop, reply {word}."),
    ("opt_in", "es"): ("Hecho: volverás a recibir nuestras ofertas.", " Para dejarlas, escribe {word}."),
}  # fmt: skip
_OPPOSITE: dict[ConsentAction, ConsentAction] = {"opt_out": "opt_in", "opt_in": "opt_out"}


def confirmation(keyword: ConsentKeyword, keywords: Iterable[ConsentKeyword]) -> str:
    """What we answer the customer, in the language of the keyword they used, with the phrase
    that undoes it (from the tenant's own keywords)."""
    done, hint = _CONFIRMATIONS[(keyword.action, keyword.language)]
    word = suggested_phrase(keywords, _OPPOSITE[keyword.action], keyword.language)
    return done + hint.format(word=word) if word else done
