"""What the handlers need, built once by `bootstrap` (tests build their own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters.publisher import EventPublisher
from bancone_gateway.domain.webhook_limits import WebhookLimits
from bancone_kit.crypto import SecretBox


@dataclass(frozen=True)
class GatewayDeps:
    sessions: async_sessionmaker[AsyncSession]
    secrets: SecretBox
    """Seals channel secrets at rest (the gateway's own keyring)."""
    channel_box: SecretBox
    """Seals the access token on `bancone.channel.v1` (keyring shared with the notifier)."""
    publisher: EventPublisher
    keep_webhook_payloads: bool = False
    webhook_limits: WebhookLimits = field(default_factory=WebhookLimits)
