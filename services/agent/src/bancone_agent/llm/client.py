"""The LLM endpoint of a turn, its `AsyncOpenAI` client, the turn's budget and its cost.

Any OpenAI-compatible endpoint (OpenAI, OpenRouter, vLLM, Ollama, the scripted server) is
reached with the official async SDK; its own retry (exponential backoff with jitter,
honouring `retry-after`) handles 429, 5xx, timeouts and dropped connections, up to
`max_retries` times, each attempt limited to `timeout_seconds`.

A tenant may bring its own endpoint (`AgentConfig.llm`). A tenant base URL is only ever
sent the tenant's own key, never the platform's: a shop owner's URL must not harvest it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from openai import AsyncOpenAI

from bancone_agent.domain.config import AgentConfig
from bancone_agent.settings import AgentSettings, ModelPrice

NO_KEY = "no-key"
"""What the SDK is given when an endpoint needs no key (Ollama, vLLM, the scripted server)."""
COST_QUANTUM = Decimal("0.000001")


@dataclass(frozen=True)
class LlmOptions:
    """The platform's LLM settings, as the assistant needs them."""

    base_url: str | None = None
    api_key: str | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 20.0
    max_retries: int = 2
    prices: Mapping[str, ModelPrice] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: AgentSettings) -> LlmOptions:
        return cls(
            base_url=settings.llm_base_url or None,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            model=settings.llm_model,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            prices=dict(settings.llm_prices),
        )


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key: str
    model: str

    def __repr__(self) -> str:
        return f"Endpoint(base_url={self.base_url!r}, model={self.model!r})"


def endpoint_for(options: LlmOptions, config: AgentConfig) -> Endpoint | None:
    """The endpoint a tenant's turns use; None when neither the tenant nor the platform has one."""
    override = config.llm
    model = override.model or options.model
    tenant_key = override.api_key.get_secret_value() if override.api_key else None
    if override.base_url:
        return Endpoint(override.base_url.rstrip("/"), tenant_key or NO_KEY, model)
    if options.base_url:
        return Endpoint(
            options.base_url.rstrip("/"), tenant_key or options.api_key or NO_KEY, model
        )
    return None


class LlmClients:
    """One `AsyncOpenAI` per endpoint and key, shared by every turn that uses it."""

    def __init__(self, options: LlmOptions) -> None:
        self._options = options
        self._clients: dict[tuple[str, str], AsyncOpenAI] = {}

    def client(self, endpoint: Endpoint) -> AsyncOpenAI:
        key = (endpoint.base_url, endpoint.api_key)
        client = self._clients.get(key)
        if client is None:
            client = AsyncOpenAI(
                base_url=endpoint.base_url,
                api_key=endpoint.api_key,
                timeout=self._options.timeout_seconds,
                max_retries=self._options.max_retries,
            )
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()


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
    prices: Mapping[str, ModelPrice], model: str, prompt_tokens: int, completion_tokens: int
) -> Decimal:
    """What the tokens cost by the price table (per 1,000 tokens); 0 for unlisted models."""
    price = prices.get(model)
    if price is None:
        return Decimal("0")
    cost = (price.prompt * prompt_tokens + price.completion * completion_tokens) / 1000
    return cost.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)
