"""Who a campaign goes to: opted-in customers of the tenant, narrowed by a segment's filters.

Pure: the adapter loads one `Candidate` per customer the notifier knows (consent, profile,
last inbound time, tags, interests) in one query; `select` decides who receives and who is
skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

OPTED_IN = "opted_in"


@dataclass(frozen=True)
class Segment:
    """Filters, all optional and combined with AND.

    `customers`: only these ids (e.g. a list from the console); listed customers who are not
    opted in are *skipped with a reason* so the report shows them, instead of silently vanishing.
    `languages`: the customer's known language is one of them (unknown language never matches).
    `contacted_within_days`: the customer wrote to the business within that many days.
    `tags`: the customer carries at least one of them (set in the console).
    `bought_categories` / `asked_categories`: the customer bought (a confirmed or paid order) /
    was shown by the assistant a product of at least one of these categories.
    """

    customers: tuple[str, ...] | None = None
    languages: frozenset[str] | None = None
    contacted_within_days: int | None = None
    tags: frozenset[str] | None = None
    bought_categories: frozenset[str] | None = None
    asked_categories: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.contacted_within_days is not None and self.contacted_within_days < 1:
            raise ValueError("contacted_within_days must be at least 1")
        if self.customers is not None and not self.customers:
            raise ValueError("customers, when given, must list someone")
        for name in ("tags", "bought_categories", "asked_categories"):
            if getattr(self, name) is not None and not getattr(self, name):
                raise ValueError(f"{name}, when given, must list at least one")


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    consent: str | None
    """`opted_in`, `opted_out`, or None when the ledger has nothing (no consent: not marketed)."""
    language: str | None = None
    name: str | None = None
    last_inbound_at: datetime | None = None
    tags: frozenset[str] = frozenset()
    bought: frozenset[str] = frozenset()
    """Categories of products the customer bought."""
    asked: frozenset[str] = frozenset()
    """Categories of products the assistant showed the customer."""


@dataclass(frozen=True)
class Selected:
    candidate: Candidate
    skip_reason: str | None = None


def _matches(candidate: Candidate, segment: Segment, now: datetime) -> bool:
    if segment.languages is not None and candidate.language not in segment.languages:
        return False
    if segment.contacted_within_days is not None:
        if candidate.last_inbound_at is None:
            return False
        if now - candidate.last_inbound_at > timedelta(days=segment.contacted_within_days):
            return False
    any_of = (
        (segment.tags, candidate.tags),
        (segment.bought_categories, candidate.bought),
        (segment.asked_categories, candidate.asked),
    )
    return all(wanted is None or not wanted.isdisjoint(held) for wanted, held in any_of)


def consent_skip(consent: str | None) -> str | None:
    """Why a customer with this consent gets no marketing, or None when they may."""
    if consent == OPTED_IN:
        return None
    return "opted out" if consent == "opted_out" else "no opt-in recorded"


def select(candidates: Iterable[Candidate], segment: Segment, now: datetime) -> list[Selected]:
    """The campaign's recipients in customer order: receivers, and listed customers skipped."""
    by_id = {c.customer_id: c for c in candidates}
    if segment.customers is not None:
        pool = [by_id.get(cid) or Candidate(cid, None) for cid in dict.fromkeys(segment.customers)]
    else:
        pool = [c for c in by_id.values() if c.consent == OPTED_IN]
    chosen: list[Selected] = []
    for candidate in sorted(pool, key=lambda c: c.customer_id):
        if not _matches(candidate, segment, now):
            continue
        chosen.append(Selected(candidate, consent_skip(candidate.consent)))
    return chosen
