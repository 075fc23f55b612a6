"""What one LLM turn may spend (tool rounds, tokens) and what its tokens cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

COST_QUANTUM = Decimal("0.000001")


class TokenPrice(Protocol):
    """A model's price per 1,000 tokens (settings' `ModelPrice`)."""

    @property
    def prompt(self) -> Decimal: ...

    @property
    def completion(self) -> Decimal: ...


class BudgetExhaustedError(Exception):
    """The turn used its tool rounds or tokens without a reply."""


@dataclass
class TurnBudget:
    """Tool rounds and tokens one turn may spend (`AgentConfig.max_tool_rounds`,
    `max_turn_tokens`); each completion's `max_tokens` is capped by what is left."""

    max_rounds: int
    max_tokens: int
    reply_tokens: int
    """`AgentConfig.max_tokens`: the most one completion may write."""
    rounds: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def used_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def tokens_left(self) -> int:
        return max(0, self.max_tokens - self.used_tokens)

    @property
    def rounds_left(self) -> int:
        return max(0, self.max_rounds - self.rounds)

    def completion_cap(self) -> int:
        """`max_tokens` for the next completion; `BudgetExhaustedError` when none is left."""
        if self.tokens_left <= 0:
            raise BudgetExhaustedError(
                f"token budget of {self.max_tokens} spent ({self.used_tokens} used)"
            )
        return max(1, min(self.reply_tokens, self.tokens_left))

    def add_usage(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.prompt_tokens += max(0, prompt_tokens)
        self.completion_tokens += max(0, completion_tokens)

    def take_round(self) -> None:
        if self.rounds_left <= 0:
            raise BudgetExhaustedError(f"tool round budget of {self.max_rounds} spent")
        self.rounds += 1


def estimate_cost(
    prices: Mapping[str, TokenPrice], model: str, prompt_tokens: int, completion_tokens: int
) -> Decimal:
    """What the tokens cost by the price table (per 1,000 tokens); 0 for unlisted models."""
    price = prices.get(model)
    if price is None:
        return Decimal("0")
    cost = (price.prompt * prompt_tokens + price.completion * completion_tokens) / 1000
    return cost.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)
