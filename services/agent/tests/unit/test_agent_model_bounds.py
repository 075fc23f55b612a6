"""What the model may read and spend, whatever customers send and owners configure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from bancone_agent.domain.budget import (
    MAX_FOLDED_MESSAGES,
    MAX_MODEL_MESSAGE_CHARS,
    MAX_TURN_TOKENS,
    TRUNCATION_MARK,
    DailySpend,
    for_the_model,
    over_daily_budget,
)
from bancone_agent.domain.config import AgentConfig

pytestmark = pytest.mark.unit


def test_a_long_message_is_cut_for_the_model_and_marked() -> None:
    [cut] = for_the_model(["x" * 5000])
    assert cut == "x" * MAX_MODEL_MESSAGE_CHARS + TRUNCATION_MARK
    assert for_the_model(["short"]) == ["short"]


def test_a_folded_turn_passes_only_its_last_messages() -> None:
    messages = [f"m{n}" for n in range(30)]
    assert for_the_model(messages) == messages[-MAX_FOLDED_MESSAGES:]


def test_max_turn_tokens_has_an_upper_bound() -> None:
    assert AgentConfig(max_turn_tokens=MAX_TURN_TOKENS).max_turn_tokens == MAX_TURN_TOKENS
    with pytest.raises(ValidationError, match="max_turn_tokens"):
        AgentConfig(max_turn_tokens=MAX_TURN_TOKENS + 1)


@pytest.mark.parametrize(
    ("spent", "tokens", "cost", "why"),
    [
        (DailySpend(99, Decimal("0.5")), 100, Decimal("1"), None),
        (DailySpend(100, Decimal("0.5")), 100, Decimal("1"), "token budget spent (100 of 100)"),
        (DailySpend(10, Decimal("1.000001")), None, Decimal("1"), "cost budget spent"),
        (DailySpend(10**9, Decimal(10**6)), None, None, None),
    ],
)
def test_the_daily_budget_is_spent_at_either_cap(
    spent: DailySpend, tokens: int | None, cost: Decimal | None, why: str | None
) -> None:
    reason = over_daily_budget(spent, tokens, cost)
    assert (reason is None) == (why is None)
    if why is not None:
        assert why in str(reason)


def test_budget_settings_refuse_negative_caps_and_unknown_fallbacks() -> None:
    with pytest.raises(ValidationError):
        AgentConfig.model_validate({"budget": {"daily_tokens": -1}})
    with pytest.raises(ValidationError):
        AgentConfig.model_validate({"budget": {"over_budget": "ignore"}})
    assert AgentConfig().budget.daily_tokens is None
