"""Turn budget, cost estimate, endpoint choice (platform or tenant), the system prompt and how
folded messages reach the model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import SecretStr

from bancone_agent.adapters.llm_assistant import LlmAssistant
from bancone_agent.adapters.llm_client import NO_KEY, LlmOptions, endpoint_for
from bancone_agent.bootstrap import build_assistant
from bancone_agent.domain import Turn
from bancone_agent.domain.budget import BudgetExhaustedError, TurnBudget, estimate_cost
from bancone_agent.domain.config import AgentConfig, LlmOverride
from bancone_agent.domain.prompt import customer_messages, system_prompt
from bancone_agent.settings import AgentSettings, ModelPrice

pytestmark = pytest.mark.unit


def test_each_completion_is_capped_by_the_reply_limit_and_what_the_turn_has_left() -> None:
    budget = TurnBudget(max_rounds=2, max_tokens=1000, reply_tokens=400)

    assert budget.completion_cap() == 400
    budget.add_usage(prompt_tokens=500, completion_tokens=200)
    assert budget.used_tokens == 700
    assert budget.tokens_left == 300
    assert budget.completion_cap() == 300
    budget.add_usage(prompt_tokens=300, completion_tokens=50)
    assert budget.tokens_left == 0
    with pytest.raises(BudgetExhaustedError, match="token budget of 1000"):
        budget.completion_cap()


def test_tool_rounds_are_counted_until_the_budget_is_spent() -> None:
    budget = TurnBudget(max_rounds=2, max_tokens=1000, reply_tokens=400)

    budget.take_round()
    budget.take_round()

    assert budget.rounds_left == 0
    with pytest.raises(BudgetExhaustedError, match="tool round budget of 2"):
        budget.take_round()


def test_cost_is_tokens_times_the_models_price_per_thousand() -> None:
    prices = {"gpt-4o-mini": ModelPrice(prompt=Decimal("0.15"), completion=Decimal("0.60"))}

    assert estimate_cost(prices, "gpt-4o-mini", 1200, 300) == Decimal("0.360000")
    assert estimate_cost(prices, "gpt-4o-mini", 1, 0) == Decimal("0.000150")
    assert estimate_cost(prices, "unlisted-model", 1200, 300) == Decimal("0")


def test_the_price_table_is_read_from_json_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANCONE_AGENT_LLM_PRICES", '{"m": {"prompt": "0.5", "completion": "1.5"}}')
    monkeypatch.setenv("BANCONE_LLM_BASE_URL", "http://llm.test/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-platform")

    options = LlmOptions.from_settings(AgentSettings(llm_model="m"))

    assert options.prices["m"] == ModelPrice(prompt=Decimal("0.5"), completion=Decimal("1.5"))
    assert options.base_url == "http://llm.test/v1"
    assert options.api_key == "sk-platform"
    assert isinstance(build_assistant(AgentSettings()), LlmAssistant)


PLATFORM = LlmOptions(base_url="http://platform.test/v1", api_key="sk-platform", model="m1")


def test_no_endpoint_anywhere_means_offline() -> None:
    assert endpoint_for(LlmOptions(), AgentConfig()) is None


def test_the_platform_endpoint_and_the_tenants_model() -> None:
    config = AgentConfig(llm=LlmOverride(model="m2"))

    endpoint = endpoint_for(PLATFORM, config)

    assert endpoint is not None
    assert (endpoint.base_url, endpoint.api_key, endpoint.model) == (
        "http://platform.test/v1",
        "sk-platform",
        "m2",
    )


def test_a_tenant_endpoint_never_receives_the_platform_key() -> None:
    own = AgentConfig(llm=LlmOverride(base_url="http://shop.test/v1/"))
    with_key = AgentConfig(
        llm=LlmOverride(base_url="http://shop.test/v1", api_key=SecretStr("sk-shop"))
    )

    without = endpoint_for(PLATFORM, own)
    keyed = endpoint_for(PLATFORM, with_key)

    assert without is not None
    assert (without.base_url, without.api_key) == ("http://shop.test/v1", NO_KEY)
    assert keyed is not None
    assert keyed.api_key == "sk-shop"
    assert "sk-" not in repr(keyed)
    tenant_only = endpoint_for(LlmOptions(), with_key)
    assert tenant_only is not None
    assert tenant_only.model == "gpt-4o-mini"


def test_the_system_prompt_carries_persona_context_language_and_rules() -> None:
    config = AgentConfig(
        persona="Sei l'assistente di {shop_name}.",
        business_context="Vendiamo vini italiani. Spedizione gratuita da 69 €.",
    )

    prompt = system_prompt(
        config, "Enoteca Bancone", "es", ("search_products",), date(2026, 11, 26)
    )

    assert prompt.startswith("Sei l'assistente di Enoteca Bancone.")
    assert "Spedizione gratuita da 69 €" in prompt
    assert "Write in Spanish (es)" in prompt
    assert "2026-11-26" in prompt
    assert "Never promise another discount" in prompt
    assert "escalate_to_human" not in prompt


def turn(text: str, history: tuple[str, ...] = ()) -> Turn:
    return Turn(tenant_id="demo", conversation_id="c", text=text, shop_name="S", history=history)


def test_folded_messages_reach_the_model_one_by_one() -> None:
    assert customer_messages(turn("ciao"), "ciao") == ["ciao"]
    folded = turn("ciao\navete vino?\nrosso", history=("ciao", "avete vino?"))
    assert customer_messages(folded, folded.text or "") == ["ciao", "avete vino?", "rosso"]
    apart = turn("rosso", history=("ciao",))
    assert customer_messages(apart, "rosso") == ["ciao", "rosso"]
