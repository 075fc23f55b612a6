"""How fast a customer may write before the assistant stops answering for a while.

Issue 9 (Limits and fairness): a customer sending more than the shop's `inbound_per_minute`
gets ONE polite slow-down reply and no other answer until a window (a minute) has passed since
it; nothing is dropped — every message is stored and operators see it. The limit is a `limits`
rate item (amount per window); the window's state is not kept by this module nor in process:
it is what the agent's database already holds (the customer's messages of the last window and
when the last slow-down went out), so a restart or another replica taking the partition over
decides the same, and the decision needs only the turn's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from limits import RateLimitItem, RateLimitItemPerMinute

from bancone_agent.domain.language import choose_language
from bancone_agent.domain.phrases import FALLBACK_LANGUAGE, PHRASEBOOKS, phrasebook

PACE_ASSISTANT = "pace"
"""The run log's `assistant` of turns the pace rule decided (no assistant ran)."""


class Pace(StrEnum):
    ANSWER = "answer"
    """Within the limit: the assistant answers as usual."""
    SLOW_DOWN = "slow_down"
    """This turn takes the customer over the limit: the one slow-down reply."""
    QUIET = "quiet"
    """A slow-down went out less than a window ago: store, answer nothing."""


def inbound_limit(per_minute: int) -> RateLimitItem:
    return RateLimitItemPerMinute(per_minute)


def window_of(limit: RateLimitItem) -> timedelta:
    return timedelta(seconds=limit.get_expiry())


@dataclass(frozen=True)
class RecentInbound:
    """What the database says about the customer's last window, before this turn."""

    received: int
    """Messages stored in the window (this turn's not yet among them)."""
    slowed_down_at: datetime | None
    """When the last slow-down reply in the window went out, if one did."""


def pace_of(limit: RateLimitItem, recent: RecentInbound, arriving: int, now: datetime) -> Pace:
    """The decision for a turn of `arriving` new messages at `now`."""
    if recent.slowed_down_at is not None and now - recent.slowed_down_at < window_of(limit):
        return Pace.QUIET
    if recent.received + arriving > limit.amount:
        return Pace.SLOW_DOWN
    return Pace.ANSWER


def slow_down_reply(texts: list[str], previous: str | None, default: str) -> tuple[str, str]:
    """The slow-down reply and its language: the customer's (from what they wrote, else the
    conversation's so far, else the shop's), when there is a phrasebook for it."""
    language = choose_language("\n".join(texts) or None, previous, default)
    if language not in PHRASEBOOKS:
        language = default if default in PHRASEBOOKS else FALLBACK_LANGUAGE
    return language, phrasebook(language).slow_down
