"""What the agent's use cases are given (`AgentDeps`), built by `bootstrap` and by tests."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_agent.domain import Assistant, ShopTools
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.memory import DEFAULT_MEMORY_FRESH_AFTER
from bancone_agent.domain.onboarding import FaqWriter, SetupChat
from bancone_agent.domain.order_port import OrderTools
from bancone_agent.domain.order_updates import InvoiceLinks
from bancone_contracts.common import utc_now
from bancone_kit.crypto import DEV_AGENT_KEYRING, Keyring, SecretBox


def dev_config_box() -> SecretBox:
    """The dev keyring's box: the default of `AgentDeps.config_box` for tests (bootstrap
    always passes the settings' keyring, which outside dev may hold no dev key)."""
    return SecretBox(Keyring.parse(DEV_AGENT_KEYRING))


@dataclass(frozen=True)
class Shop:
    """What the assistant says about the shop it speaks for, until the tenant stores an
    agent configuration (then the configuration says it)."""

    name: str
    language: str = "it"


@dataclass(frozen=True)
class AgentDeps:
    sessions: async_sessionmaker[AsyncSession]
    """From `bootstrap.sessions_of`: objects stay usable after commit."""
    assistant: Assistant
    tools_for: Callable[[str], ShopTools]
    """The shop's tools bound to one tenant; the tenant comes from the event, never a model."""
    shop_for: Callable[[str], Shop]
    config_box: SecretBox = field(default_factory=dev_config_box, repr=False)
    """Opens tenants' sealed LLM keys (`bootstrap.config_secrets`); tests keep the dev box."""
    clock: Callable[[], datetime] = field(default=utc_now)
    memory_fresh_after: timedelta = DEFAULT_MEMORY_FRESH_AFTER
    """A resolved conversation quiet this long starts with a fresh memory."""
    allowed_llm_hosts: Collection[str] = ()
    """Hosts a tenant's LLM base URL may use although not public (dev, tests)."""
    poison_marker: str | None = None
    """Dev only (`AgentSettings.dev_poison_marker`): a message containing it fails its turn
    unless it is a replayed dead letter — how the e2e tier drives the DLQ."""
    setup_chat: SetupChat | None = None
    """The conversing setup assistant; None: the offline questions only."""
    faq_writer: FaqWriter | None = None
    """Stores confirmed FAQ drafts in the catalog; None: FAQs are not stored."""
    invoice_links: InvoiceLinks | None = None
    """Mints invoice links at the gateway for order updates; None: a paid order's message
    promises the invoice and escalates (`order_handlers`)."""
    orders_for: Callable[[str], OrderTools] | None = None
    """The catalog's cart and order API bound to one tenant; None: no ordering in the chat
    (the assistant answers every turn)."""

    def fallback_config(self, tenant_id: str) -> AgentConfig:
        """The configuration of a tenant that stored none (version 0)."""
        shop = self.shop_for(tenant_id)
        return AgentConfig(shop_name=shop.name, default_language=shop.language)
