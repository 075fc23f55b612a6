"""The satisfaction question after an operator resolves a conversation. Pure.

One list message with five rows (`csat:1`…`csat:5`), not reply buttons: WhatsApp's reply
buttons hold at most three, and splitting 1-5 over two button messages lets them arrive (and
be answered) out of order, or be half answered. A list is one message, one tap, and the row id
carries the score. Asked only inside the 24-hour window (it is free-form), once per resolve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bancone_contracts.events.inbound import InboundContent, ListReplyContent
from bancone_contracts.events.outbound import ListRow, ListSection, OutboundList

ANSWER_PREFIX = "csat:"
SCORES = range(1, 6)
AVERAGE_QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class Wording:
    body: str
    button: str
    rows: tuple[str, str, str, str, str]


WORDINGS: dict[str, Wording] = {
    "it": Wording(
        "Com'è andata? Dacci un voto da 1 a 5.",
        "Vota",
        ("1 - Male", "2 - Così così", "3 - Bene", "4 - Molto bene", "5 - Benissimo"),
    ),
    "en": Wording(
        "How did we do? Rate us from 1 to 5.",
        "Rate",
        ("1 - Poor", "2 - Fair", "3 - Good", "4 - Very good", "5 - Excellent"),
    ),
    "es": Wording(
        "¿Qué tal lo hicimos? Valóranos de 1 a 5.",
        "Valorar",
        ("1 - Mal", "2 - Regular", "3 - Bien", "4 - Muy bien", "5 - Excelente"),
    ),
}


def wording(language: str | None, default_language: str) -> tuple[str, Wording]:
    """The customer's language when we have it, else the shop's, else English."""
    for candidate in (language, default_language, "en"):
        if candidate and candidate[:2] in WORDINGS:
            return candidate[:2], WORDINGS[candidate[:2]]
    return "en", WORDINGS["en"]


def question(words: Wording) -> OutboundList:
    rows = tuple(
        ListRow(id=f"{ANSWER_PREFIX}{score}", title=title)
        for score, title in zip(SCORES, words.rows, strict=True)
    )
    return OutboundList(body=words.body, button=words.button, sections=(ListSection(rows=rows),))


def answer_score(content: InboundContent) -> int | None:
    """The score of a tap on one of the question's rows; None for anything else."""
    if not isinstance(content, ListReplyContent) or not content.id.startswith(ANSWER_PREFIX):
        return None
    value = content.id.removeprefix(ANSWER_PREFIX)
    if not value.isdigit() or int(value) not in SCORES:
        return None
    return int(value)


@dataclass(frozen=True)
class Satisfaction:
    """The answers of one day: how many, and their average (None without answers)."""

    count: int
    average: Decimal | None


NO_ANSWERS = Satisfaction(0, None)


def summarise(scores: Sequence[int]) -> Satisfaction:
    if not scores:
        return NO_ANSWERS
    average = (Decimal(sum(scores)) / len(scores)).quantize(AVERAGE_QUANTUM)
    return Satisfaction(len(scores), average)
