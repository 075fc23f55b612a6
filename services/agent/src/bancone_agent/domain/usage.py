"""A tenant's assistant usage over a day: turns, tokens and estimated cost, by outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bancone_agent.domain.run import TurnOutcome
from bancone_agent.domain.satisfaction import NO_ANSWERS, Satisfaction

COST_QUANTUM = Decimal("0.000001")
"""Costs are estimated to the millionth (the price table's own precision); plain, not 0E-8."""


@dataclass(frozen=True)
class Usage:
    turns: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_cost: Decimal = Decimal("0")

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.turns + other.turns,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.estimated_cost + other.estimated_cost,
        )


@dataclass(frozen=True)
class DailyUsage:
    tenant_id: str
    day: date
    total: Usage
    by_outcome: dict[str, Usage]


def daily_usage(
    tenant_id: str, day: date, rows: Mapping[str, tuple[int, int, int, Decimal]]
) -> DailyUsage:
    """The day's usage from per-outcome sums (turns, prompt, completion tokens, cost); every
    outcome is listed, with zeros when it had no turn."""
    by_outcome = {outcome.value: Usage() for outcome in TurnOutcome}
    for outcome, (turns, prompt, completion, cost) in rows.items():
        by_outcome[outcome] = Usage(turns, prompt, completion, cost.quantize(COST_QUANTUM))
    total = sum(by_outcome.values(), Usage())
    return DailyUsage(tenant_id, day, total, by_outcome)


MAX_SERIES_DAYS = 366


@dataclass(frozen=True)
class TurnFacts:
    """What the per-day series needs of one run-log row."""

    day: date
    conversation_id: str
    outcome: str
    tokens: int
    cost: Decimal


@dataclass(frozen=True)
class DayUsage:
    day: date
    conversations: int
    """Conversations with at least one assistant turn that day."""
    auto_answered: int
    """Of those, the ones the assistant answered without handing them to a person."""
    handed_off: int
    """Of those, the ones escalated to a person that day."""
    turns: int
    total_tokens: int
    estimated_cost: Decimal
    satisfaction: Satisfaction = NO_ANSWERS
    """Satisfaction answers given that day: how many and their average (1-5)."""


class BadRangeError(ValueError):
    """A day range that ends before it starts or spans too many days."""


def check_range(first: date, last: date) -> None:
    if last < first:
        raise BadRangeError("`to` is before `from`")
    if (last - first).days >= MAX_SERIES_DAYS:
        raise BadRangeError(f"at most {MAX_SERIES_DAYS} days at once")


def daily_series(
    first: date,
    last: date,
    facts: list[TurnFacts],
    satisfaction: Mapping[date, Satisfaction] | None = None,
) -> list[DayUsage]:
    """One entry per day from `first` to `last` (zeros on days without turns). Muted turns
    (people held the conversation) count as turns, not as conversations the assistant had."""
    days: dict[date, list[TurnFacts]] = {}
    for fact in facts:
        days.setdefault(fact.day, []).append(fact)
    series: list[DayUsage] = []
    for offset in range((last - first).days + 1):
        day = date.fromordinal(first.toordinal() + offset)
        rows = days.get(day, [])
        spoken = [r for r in rows if r.outcome != TurnOutcome.MUTED.value]
        handed = {r.conversation_id for r in spoken if r.outcome == TurnOutcome.ESCALATED.value}
        talked = {r.conversation_id for r in spoken}
        series.append(
            DayUsage(
                day=day,
                conversations=len(talked),
                auto_answered=len(talked - handed),
                handed_off=len(handed),
                turns=len(rows),
                total_tokens=sum(r.tokens for r in rows),
                estimated_cost=sum((r.cost for r in rows), Decimal("0")).quantize(COST_QUANTUM),
                satisfaction=(satisfaction or {}).get(day, NO_ANSWERS),
            )
        )
    return series
