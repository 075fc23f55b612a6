"""What one LLM turn may spend (tool rounds, tokens), what its tokens cost, what a tenant may
spend per day, and how much customer text the model reads.

Bounds on what the model reads, whatever a customer sends (WhatsApp allows 4,096 characters a
message, and a burst of messages is folded into one turn):
- each customer message is cut to `MAX_MODEL_MESSAGE_CHARS` characters;
- a folded turn passes at most its last `MAX_FOLDED_MESSAGES` messages;
- `AgentConfig.max_turn_tokens` may not exceed `MAX_TURN_TOKENS`.
The messages themselves are stored whole; only the model's copy is cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

COST_QUANTUM = Decimal("0.000001")
MAX_MODEL_MESSAGE_CHARS = 1500
MAX_FOLDED_MESSAGES = 8
MAX_TURN_TOKENS = 32_000
TRUNCATION_MARK = " […]"


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


def for_the_model(messages: Sequence[str]) -> list[str]:
    """The customer messages the model reads: the last `MAX_FOLDED_MESSAGES`, each cut to
    `MAX_MODEL_MESSAGE_CHARS` (marked, so the model knows it was cut)."""
    kept = list(messages)[-MAX_FOLDED_MESSAGES:]
    return [
        m if len(m) <= MAX_MODEL_MESSAGE_CHARS else m[:MAX_MODEL_MESSAGE_CHARS] + TRUNCATION_MARK
        for m in kept
    ]


@dataclass(frozen=True)
class DailySpend:
    """What a tenant's turns used so far today (from the run log)."""

    tokens: int = 0
    cost: Decimal = Decimal("0")


def over_daily_budget(
    spent: DailySpend, daily_tokens: int | None, daily_cost: Decimal | None
) -> str | None:
    """Why the tenant may not start another LLM turn today, or None while under its caps."""
    if daily_tokens is not None and spent.tokens >= daily_tokens:
        return f"daily LLM token budget spent ({spent.tokens} of {daily_tokens})"
    if daily_cost is not None and spent.cost >= daily_cost:
        return f"daily LLM cost budget spent ({spent.cost} of {daily_cost})"
    return None
