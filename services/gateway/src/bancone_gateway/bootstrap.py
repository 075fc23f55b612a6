"""The one place that builds the gateway's concrete adapters and wires them into its app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from bancone_gateway.adapters.messaging_start import ResilientMessagingStart
from bancone_gateway.adapters.publisher import KafkaEventPublisher
from bancone_gateway.adapters.receipt_pruner import ReceiptPruner
from bancone_gateway.entrypoints.http import build_http_app
from bancone_gateway.handlers.deps import GatewayDeps
from bancone_gateway.settings import GatewaySettings
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.http.health import NamedCheck, database_check
from bancone_kit.messaging.broker import broker_for
from bancone_kit.messaging.runtime import Messaging


def build_app(settings: GatewaySettings) -> FastAPI:
    """The gateway's ASGI app: database, broker (plus the outbox relay for channel events),
    secret boxes and routes; the lifespan connects messaging and disposes the engine."""
    engine = create_engine(settings.database_url)
    broker = broker_for(settings)
    messaging = Messaging(broker, engine)
    starter = ResilientMessagingStart(messaging, retry_seconds=settings.messaging_retry_seconds)
    sessions = session_factory(engine)
    pruner = ReceiptPruner(
        sessions,
        retention=timedelta(days=settings.webhook_receipt_retention_days),
        interval_seconds=settings.webhook_receipt_prune_interval_seconds,
    )
    deps = GatewayDeps(
        sessions=sessions,
        secrets=SecretBox(Keyring.parse(settings.secrets_keyring)),
        channel_box=SecretBox(Keyring.parse(settings.channel_keyring)),
        publisher=KafkaEventPublisher(broker, timeout=settings.webhook_publish_timeout_seconds),
        keep_webhook_payloads=settings.webhook_keep_payloads,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await starter.start()
        pruner.start()
        try:
            yield
        finally:
            await pruner.stop()
            await starter.stop()
            await engine.dispose()

    checks = [database_check(engine), NamedCheck("kafka", messaging.check)]
    app = build_http_app(settings, checks, lifespan)
    app.state.deps = deps
    return app
