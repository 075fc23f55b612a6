"""The LLM endpoint of a turn and its `AsyncOpenAI` client (the turn's budget and cost are
`domain.budget`).

Any OpenAI-compatible endpoint (OpenAI, OpenRouter, vLLM, Ollama, the scripted server) is
reached with the official async SDK; its own retry (exponential backoff with jitter,
honouring `retry-after`) handles 429, 5xx, timeouts and dropped connections, up to
`max_retries` times, each attempt limited to `timeout_seconds`.

A tenant may bring its own endpoint (`AgentConfig.llm`). A tenant base URL is only ever
sent the tenant's own key, never the platform's: a shop owner's URL must not harvest it. Nor
may it reach the platform's insides: its client checks every request against
`bancone_kit.public_urls` (https, public addresses, unless the platform allows the host) and
follows no redirect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from openai import AsyncOpenAI, DefaultAsyncHttpxClient

from bancone_agent.domain.config import AgentConfig
from bancone_agent.settings import AgentSettings, ModelPrice
from bancone_kit.public_urls import public_only_hook

NO_KEY = "no-key"
"""What the SDK is given when an endpoint needs no key (Ollama, vLLM, the scripted server)."""


@dataclass(frozen=True)
class LlmOptions:
    """The platform's LLM settings, as the assistant needs them."""

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 20.0
    max_retries: int = 2
    prices: Mapping[str, ModelPrice] = field(default_factory=dict)
    allowed_hosts: frozenset[str] = frozenset()
    """Hosts a tenant endpoint may use although not public (`AgentSettings.trusted_llm_hosts`)."""

    @classmethod
    def from_settings(cls, settings: AgentSettings) -> LlmOptions:
        return cls(
            base_url=settings.llm_base_url or None,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            model=settings.llm_model,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            prices=dict(settings.llm_prices),
            allowed_hosts=settings.trusted_llm_hosts,
        )


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key: str = field(repr=False)
    model: str
    tenant_chosen: bool = False
    """The tenant's own base URL: reached only through the public-address check."""


def endpoint_for(options: LlmOptions, config: AgentConfig) -> Endpoint | None:
    """The endpoint a tenant's turns use; None when neither the tenant nor the platform has one."""
    override = config.llm
    model = override.model or options.model
    tenant_key = override.api_key.get_secret_value() if override.api_key else None
    if override.base_url:
        return Endpoint(
            override.base_url.rstrip("/"), tenant_key or NO_KEY, model, tenant_chosen=True
        )
    if options.base_url:
        return Endpoint(
            options.base_url.rstrip("/"), tenant_key or options.api_key or NO_KEY, model
        )
    return None


class LlmClients:
    """One `AsyncOpenAI` per endpoint and key, shared by every turn that uses it."""

    def __init__(self, options: LlmOptions) -> None:
        self._options = options
        self._clients: dict[tuple[str, str, bool], AsyncOpenAI] = {}

    def client(self, endpoint: Endpoint) -> AsyncOpenAI:
        key = (endpoint.base_url, endpoint.api_key, endpoint.tenant_chosen)
        client = self._clients.get(key)
        if client is None:
            client = AsyncOpenAI(
                base_url=endpoint.base_url,
                api_key=endpoint.api_key,
                timeout=self._options.timeout_seconds,
                max_retries=self._options.max_retries,
                http_client=self._guarded_http() if endpoint.tenant_chosen else None,
            )
            self._clients[key] = client
        return client

    def _guarded_http(self) -> DefaultAsyncHttpxClient:
        """The SDK's HTTP client for a tenant's endpoint: each request's host checked before
        it is sent, a redirect returned as it is (the SDK then fails the call), not followed."""
        return DefaultAsyncHttpxClient(
            event_hooks={"request": [public_only_hook(self._options.allowed_hosts)]},
            timeout=self._options.timeout_seconds,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()
