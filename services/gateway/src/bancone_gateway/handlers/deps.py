"""What the handlers need, built once by `bootstrap` (tests build their own)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters.publisher import EventPublisher
from bancone_gateway.adapters.webhook_writer import WebhookWriter
from bancone_gateway.domain.route_cache import RouteCache
from bancone_gateway.domain.webhook_limits import WebhookLimits
from bancone_kit.crypto import SecretBox


@dataclass(frozen=True)
class Route:
    """Where a channel's webhooks go (its tenant) and the secret that signs them."""

    tenant_id: str
    app_secret: str


@dataclass(frozen=True)
class GatewayDeps:
    sessions: async_sessionmaker[AsyncSession]
    secrets: SecretBox
    """Seals channel secrets at rest (the gateway's own keyring)."""
    channel_box: SecretBox
    """Seals the access token on `bancone.channel.v1` (keyring shared with the notifier)."""
    publisher: EventPublisher
    writer: WebhookWriter
    """Stores receipts and publishes their events, many webhooks per transaction."""
    keep_webhook_payloads: bool = False
    webhook_limits: WebhookLimits = field(default_factory=WebhookLimits)
    routes: RouteCache[Route] = field(default_factory=lambda: RouteCache[Route](0.0))
    """Channel routes by phone number id (ttl 0 = always read the table)."""
    waba_routes: RouteCache[Route] = field(default_factory=lambda: RouteCache[Route](0.0))
    """Channel routes by business account id, for template and account notices."""
    route_lookups: asyncio.Lock = field(default_factory=asyncio.Lock)
    """One channel-table read at a time while the memo is on (see `handlers.webhook`)."""

    def forget_routes(self) -> None:
        """A channel changed here: the next webhook reads the channel table again."""
        self.routes.clear()
        self.waba_routes.clear()
