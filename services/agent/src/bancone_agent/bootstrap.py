"""The one place that builds the agent's concrete adapters and wires them into its app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bancone_agent.adapters.config_store import ConfigSecrets
from bancone_agent.adapters.daily_spend import RunLogSpend
from bancone_agent.adapters.invoice_links import GatewayInvoiceLinks
from bancone_agent.adapters.llm_assistant import LlmAssistant
from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.adapters.orders_api import HttpOrderTools
from bancone_agent.adapters.setup_assistant import CatalogFaqWriter, LlmSetupChat
from bancone_agent.adapters.shop_tools import HttpShopTools
from bancone_agent.domain import Assistant, ShopTools
from bancone_agent.domain.order_port import OrderTools
from bancone_agent.entrypoints.consumers import SUBSCRIPTIONS, Subscription, register_consumers
from bancone_agent.entrypoints.http import build_http_app
from bancone_agent.handlers import AgentDeps, Shop
from bancone_agent.settings import AgentSettings
from bancone_kit.auth.service_tokens import ServiceTokenClient
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine
from bancone_kit.logging import get_logger
from bancone_kit.messaging.broker import broker_for
from bancone_kit.messaging.keyed import KeyedDispatcher
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.runtime import Messaging

log = get_logger(__name__)


def sessions_of(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Plain SQLAlchemy sessions (the agent writes Core inserts and ORM rows alike); loaded
    objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def tools_http_client(settings: AgentSettings) -> httpx.AsyncClient:
    """The client every catalog and ingest call goes through, with the timeouts from settings."""
    return httpx.AsyncClient(timeout=_tool_timeout(settings), follow_redirects=False)


def _tool_timeout(settings: AgentSettings) -> httpx.Timeout:
    return httpx.Timeout(
        settings.tool_timeout_seconds, connect=settings.tool_connect_timeout_seconds
    )


def service_tokens(settings: AgentSettings, http: httpx.AsyncClient) -> ServiceTokenClient:
    """Tenant-scoped service tokens from the gateway for the agent's catalog/ingest calls."""
    return ServiceTokenClient(
        str(settings.gateway_url),
        settings.service_client_id,
        settings.service_client_secret,
        client=http,
    )


def http_tools_factory(
    settings: AgentSettings, http: httpx.AsyncClient
) -> Callable[[str], ShopTools]:
    """Tools bound to the tenant of the event being handled, carrying its service token."""
    credentials = service_tokens(settings, http)

    def tools_for(tenant_id: str) -> ShopTools:
        return HttpShopTools(
            tenant_id,
            settings.catalog_base,
            settings.ingest_base,
            http,
            timeout=_tool_timeout(settings),
            attempts=settings.tool_attempts,
            retry_delay=settings.tool_retry_delay_seconds,
            credentials=credentials,
        )

    return tools_for


def invoice_links(settings: AgentSettings, http: httpx.AsyncClient) -> GatewayInvoiceLinks:
    """The gateway's signed invoice links, tried a few times on transient errors."""
    retry = RetryPolicy(
        attempts=settings.invoice_link_attempts,
        initial_delay=settings.tool_retry_delay_seconds,
        max_delay=max(settings.tool_retry_delay_seconds * 4, 1.0),
        jitter=settings.tool_retry_delay_seconds,
    )
    return GatewayInvoiceLinks(
        str(settings.gateway_url), http, service_tokens(settings, http), retry=retry
    )


def http_orders_factory(
    settings: AgentSettings, http: httpx.AsyncClient
) -> Callable[[str], OrderTools]:
    """The catalog's cart and order API bound to the tenant of the turn, with its token."""
    credentials = service_tokens(settings, http)

    def orders_for(tenant_id: str) -> OrderTools:
        return HttpOrderTools(
            tenant_id,
            settings.catalog_base,
            http,
            timeout=_tool_timeout(settings),
            attempts=max(settings.tool_attempts, 3),
            retry_delay=settings.tool_retry_delay_seconds,
            credentials=credentials,
        )

    return orders_for


def build_assistant(
    settings: AgentSettings,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    orders_for: Callable[[str], OrderTools] | None = None,
) -> Assistant:
    """The LLM assistant, which answers with the offline assistant for every tenant without an
    LLM endpoint (settings `llm_base_url` or the tenant's `AgentConfig.llm`): with neither, it
    is the offline assistant with a run record. With `sessions`, tenants' daily LLM budgets
    are enforced from the run log; with `orders_for`, the model gets the cart tools."""
    spend = RunLogSpend(sessions) if sessions is not None else None
    return LlmAssistant(
        LlmOptions.from_settings(settings), spend_today=spend, orders_for=orders_for
    )


def config_secrets(settings: AgentSettings) -> ConfigSecrets:
    """What the configuration store seals tenant LLM keys with, and the LLM hosts it allows."""
    return ConfigSecrets(
        box=SecretBox(Keyring.parse(settings.secrets_keyring)),
        allowed_llm_hosts=settings.trusted_llm_hosts,
    )


def shop_directory(settings: AgentSettings) -> Callable[[str], Shop]:
    """Each tenant's shop name and language, from settings until per-tenant agent config."""

    def shop_for(tenant_id: str) -> Shop:
        name = settings.shop_names.get(tenant_id) or tenant_id.replace("-", " ").title()
        return Shop(name=name, language=settings.shop_language)

    return shop_for


async def _let_turns_finish(
    dispatchers: Sequence[KeyedDispatcher[Any]], grace_seconds: float
) -> None:
    """Give turns in flight a moment to commit before the broker and database close; what
    doesn't finish is redelivered to the next consumer (offsets stay behind it)."""
    try:
        async with asyncio.timeout(grace_seconds):
            await asyncio.gather(*(d.drain() for d in dispatchers))
    except TimeoutError:
        log.warning("shutdown.turns_unfinished", grace_seconds=grace_seconds)


def build_app(
    settings: AgentSettings,
    *,
    assistant: Assistant | None = None,
    tools_for: Callable[[str], ShopTools] | None = None,
    orders_for: Callable[[str], OrderTools] | None = None,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
) -> FastAPI:
    """The agent's ASGI app: consumers, outbox relay and the tools' HTTP client start with it.

    Tests pass their own `assistant` or `tools_for` (or point the URLs at stand-ins) and
    their own topics and groups in `subscriptions`.
    """
    engine = create_engine(settings.database_url)
    messaging = Messaging(broker_for(settings), engine)
    client = tools_http_client(settings)
    if tools_for is None:
        tools_for = http_tools_factory(settings, client)
    if orders_for is None:
        orders_for = http_orders_factory(settings, client)
    sessions = sessions_of(engine)
    deps = AgentDeps(
        sessions=sessions,
        assistant=assistant or build_assistant(settings, sessions, orders_for),
        tools_for=tools_for,
        shop_for=shop_directory(settings),
        config_box=config_secrets(settings).box,
        poison_marker=settings.dev_poison_marker,
        allowed_llm_hosts=settings.trusted_llm_hosts,
        setup_chat=LlmSetupChat(LlmOptions.from_settings(settings)),
        faq_writer=CatalogFaqWriter(settings.catalog_base),
        memory_fresh_after=timedelta(seconds=settings.memory_fresh_after_seconds),
        invoice_links=invoice_links(settings, client),
        orders_for=orders_for,
    )
    dispatchers = register_consumers(
        messaging.broker,
        deps,
        retry=settings.consumer_retry,
        max_in_flight=settings.max_in_flight,
        subscriptions=subscriptions,
    )

    async def let_turns_finish() -> None:
        await _let_turns_finish(dispatchers, settings.shutdown_grace_seconds)

    lifespan = messaging.lifespan(
        getattr(deps.assistant, "aclose", None),
        client.aclose,
        engine.dispose,
        before_stop=let_turns_finish,
    )
    app = build_http_app(settings, messaging.readiness_checks(engine), lifespan)
    app.state.deps = deps
    app.state.dispatchers = dispatchers
    return app
