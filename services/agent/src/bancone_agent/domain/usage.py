"""A tenant's assistant usage over a day: turns, tokens and estimated cost, by outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bancone_agent.domain.run import TurnOutcome

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
