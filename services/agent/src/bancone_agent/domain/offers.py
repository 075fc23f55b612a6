"""The shop's offers as the assistant reads them from knowledge hits (kind `offer`).

The catalog (and ingest) give an offer's terms in the hit's payload: `discount_percent`,
`product_skus`, `valid_from`, `valid_until`. They are read as they are, never recomputed: the
reply states the discount the data states, and only offers valid today.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bancone_agent.domain.assistant import KnowledgeHit
from bancone_agent.domain.text import fold, mentions


@dataclass(frozen=True)
class Offer:
    hit: KnowledgeHit
    title: str
    description: str
    discount_percent: Decimal | None
    product_skus: tuple[str, ...]
    valid_from: date | None
    valid_until: date | None

    @classmethod
    def from_hit(cls, hit: KnowledgeHit) -> "Offer | None":
        """The offer a hit describes; None for another kind, one without a title, or one whose
        period can't be read (better unsaid than an expired offer called current)."""
        payload = hit.payload
        title = (hit.title or str(payload.get("title") or "")).strip()
        if hit.kind != "offer" or not title:
            return None
        try:
            valid_from = _date(payload.get("valid_from"))
            valid_until = _date(payload.get("valid_until"))
        except ValueError:
            return None
        description = payload.get("description")
        skus = payload.get("product_skus")
        return cls(
            hit=hit,
            title=title,
            description=(description if isinstance(description, str) else hit.text).strip(),
            discount_percent=_decimal(payload.get("discount_percent")),
            product_skus=tuple(s for s in skus if isinstance(s, str))
            if isinstance(skus, list | tuple)
            else (),
            valid_from=valid_from,
            valid_until=valid_until,
        )

    def is_current(self, today: date) -> bool:
        started = self.valid_from is None or self.valid_from <= today
        return started and (self.valid_until is None or today <= self.valid_until)

    def mentions_any(self, words: Iterable[str]) -> bool:
        """Whether the title or description names any of the (folded) words."""
        text = fold(f"{self.title}\n{self.description}")
        return any(mentions(text, w) for w in words)


def current_offers(hits: Iterable[KnowledgeHit], today: date) -> list[Offer]:
    """The readable offers among `hits` that apply on `today`, in the order given."""
    offers = (Offer.from_hit(hit) for hit in hits)
    return [o for o in offers if o is not None and o.is_current(today)]


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(value: Any) -> date | None:
    """An ISO date (or datetime) as a date; None when absent; ValueError when unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    return date.fromisoformat(value.strip()[:10])
