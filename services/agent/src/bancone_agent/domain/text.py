"""Text normalisation shared by language detection and understanding.

WhatsApp texts come with accents typed or not ("perché"/"perche", "envío"/"envio"), curly
apostrophes and emoji; lexicon look-ups compare folded forms so either spelling matches.
"""

import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*", re.UNICODE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def normalise(text: str) -> str:
    """Lower-case, NFC, straight apostrophes: the form every look-up starts from."""
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES).lower()


def fold(text: str) -> str:
    """Strip accents ("rosé" -> "rose", "envío" -> "envio"); keeps ñ's base letter n."""
    decomposed = unicodedata.normalize("NFD", normalise(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Letter-only tokens of normalised text; elisions stay whole ("c'è", "don't")."""
    return _WORD.findall(normalise(text))


def cased_words(text: str) -> list[str]:
    """Like `words` but keeping case, to tell names ("London", "Barolo") from vocabulary."""
    return _WORD.findall(unicodedata.normalize("NFC", text).translate(_APOSTROPHES))


def split_elisions(tokens: list[str]) -> list[str]:
    """Split "l'olio" into "l'", "olio" so the noun can be looked up on its own."""
    out: list[str] = []
    for token in tokens:
        head, sep, tail = token.partition("'")
        if sep:
            out.extend((head + "'", tail))
        else:
            out.append(token)
    return out


def mentions(folded_text: str, word: str) -> bool:
    """Whether `folded_text` has a word starting with `word` or, past four letters, its stem:
    "formaggi" finds "formaggio", "oil" finds "oils" but not "boil". A short word only names
    only its inflections: a word of four letters itself or its stem with a vowel or a plural
    ending ("vino" finds "vini", "vinos"; "pane" finds "pan", "panes", not "panna"), a shorter
    one itself with those endings ("pan" finds "pane", not "panettone")."""
    if len(word) > 4:
        return re.search(rf"(?<!\w){re.escape(word[:-1])}", folded_text) is not None
    if len(word) == 4:
        forms = rf"{re.escape(word)}(?:e?s)?|{re.escape(word[:-1])}(?:[aeiou]s?)?"
    else:
        forms = rf"{re.escape(word)}(?:[aeiou]?s|[aeiou])?"
    return re.search(rf"(?<!\w)(?:{forms})(?!\w)", folded_text) is not None
