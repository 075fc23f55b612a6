"""The one place that builds the gateway's concrete adapters and wires them into its app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka.security import parse_security
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters.api_proxy import UpstreamProxy
from bancone_gateway.adapters.catalog_invoices import CatalogInvoices
from bancone_gateway.adapters.link_signer import LinkSigner
from bancone_gateway.adapters.login_throttle import LoginLimits, LoginThrottle
from bancone_gateway.adapters.messaging_start import ResilientMessagingStart
from bancone_gateway.adapters.password_hashing import PasswordHashing
from bancone_gateway.adapters.publisher import DirectKafkaPublisher
from bancone_gateway.adapters.receipt_pruner import ReceiptPruner
from bancone_gateway.adapters.signing_keys import SigningKeyStore
from bancone_gateway.adapters.token_issuer import TokenIssuer
from bancone_gateway.adapters.webhook_writer import WebhookWriter, WriterLimits
from bancone_gateway.domain.route_cache import RouteCache
from bancone_gateway.domain.webhook_limits import WebhookLimits
from bancone_gateway.entrypoints.http import build_http_app
from bancone_gateway.entrypoints.loop_lag import LoopLag
from bancone_gateway.handlers.deps import GatewayDeps, Route
from bancone_gateway.handlers.identity_deps import IdentityDeps
from bancone_gateway.handlers.links import LinkDeps
from bancone_gateway.handlers.platform import ensure_platform_operator
from bancone_gateway.settings import GatewaySettings
from bancone_kit.auth.jwks import JwksCache, StaticJwks
from bancone_kit.auth.verifier import TokenVerifier
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.http.health import NamedCheck, database_check
from bancone_kit.logging import get_logger
from bancone_kit.messaging.broker import broker_for, kafka_security
from bancone_kit.messaging.runtime import Messaging

log = get_logger(__name__)


def build_identity(
    settings: GatewaySettings, sessions: async_sessionmaker[AsyncSession], secrets: SecretBox
) -> IdentityDeps:
    """Operator identity: signing keys sealed with the at-rest keyring, issuer, throttle."""
    keys = SigningKeyStore(
        sessions,
        secrets,
        reload_seconds=settings.signing_keys_reload_seconds,
        activation_seconds=settings.signing_key_activation_seconds,
    )
    return IdentityDeps(
        sessions=sessions,
        keys=keys,
        issuer=TokenIssuer(
            keys,
            issuer=settings.token_issuer,
            access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
            service_ttl=timedelta(seconds=settings.service_token_ttl_seconds),
        ),
        hashing=PasswordHashing(),
        throttle=LoginThrottle(
            LoginLimits(
                per_account=settings.login_max_failures_per_account,
                per_ip=settings.login_max_failures_per_ip,
                window_seconds=settings.login_failure_window_seconds,
            )
        ),
        service_clients=settings.service_client_secrets(),
        refresh_ttl=timedelta(days=settings.refresh_token_ttl_days),
        invite_ttl=timedelta(hours=settings.invite_ttl_hours),
        reset_ttl=timedelta(hours=settings.password_reset_ttl_hours),
        public_base_url=settings.public_base_url,
        platform_email=settings.platform_operator_email,
        platform_password=settings.platform_password(),
    )


def build_links(
    settings: GatewaySettings, identity: IdentityDeps, http: httpx.AsyncClient
) -> LinkDeps:
    """Customer links: signed with the link keyring; invoices fetched from the catalog with a
    service token the gateway signs for itself (`service:gateway`, one tenant, callee catalog)."""

    async def catalog_credential(tenant_id: str) -> str:
        return (await identity.issuer.service_token("gateway", tenant_id, "catalog")).token

    return LinkDeps(
        signer=LinkSigner(Keyring.parse(settings.link_keyring)),
        invoices=CatalogInvoices(settings.link_catalog(), http, catalog_credential),
        base_url=settings.link_origin(),
        ttl=timedelta(seconds=settings.link_ttl_seconds),
    )


def webhook_producer_options(settings: GatewaySettings) -> dict[str, Any]:
    """The webhook producer's aiokafka options: what the kit gives every broker's producer
    (bootstrap, acks=all, idempotence, TLS/SASL), under its own client id."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "client_id": f"bancone-{settings.service_name}-webhooks",
        "acks": "all",
        "enable_idempotence": settings.kafka_idempotence,
        **parse_security(kafka_security(settings)),
    }


async def _start_identity(identity: IdentityDeps) -> None:
    """Load (or create) the signing key and the platform account; a database not migrated yet
    or a database that is down only delays this to the first request that needs it."""
    try:
        await identity.keys.keyring()
        await ensure_platform_operator(identity)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("identity.start_deferred", error=type(exc).__name__)


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
    publisher = DirectKafkaPublisher(
        webhook_producer_options(settings), timeout=settings.webhook_publish_timeout_seconds
    )
    writer = WebhookWriter(
        sessions,
        publisher,
        keep_payloads=settings.webhook_keep_payloads,
        limits=WriterLimits(
            max_queued=settings.webhook_max_queued,
            max_wait=settings.webhook_max_queue_seconds,
            max_batch=settings.webhook_max_batch,
            max_answer=settings.webhook_max_answer_seconds,
        ),
    )
    route_ttl = settings.webhook_channel_cache_seconds
    deps = GatewayDeps(
        sessions=sessions,
        secrets=SecretBox(Keyring.parse(settings.secrets_keyring)),
        channel_box=SecretBox(Keyring.parse(settings.channel_keyring)),
        publisher=publisher,
        writer=writer,
        routes=RouteCache[Route](route_ttl),
        waba_routes=RouteCache[Route](route_ttl),
        keep_webhook_payloads=settings.webhook_keep_payloads,
        webhook_limits=WebhookLimits(
            max_entries=settings.webhook_max_entries,
            max_phone_number_ids=settings.webhook_max_phone_number_ids,
        ),
    )

    identity = build_identity(settings, sessions, deps.secrets)
    verifier = TokenVerifier(
        JwksCache(StaticJwks(identity.keys.jwks), max_age=30.0, min_refresh_interval=1.0),
        service="gateway",
        issuer=settings.token_issuer,
    )

    link_http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
    links = build_links(settings, identity, link_http)

    upstreams = settings.upstreams()
    proxy = UpstreamProxy(upstreams) if upstreams else None

    loop_lag = LoopLag()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await starter.start()
        await _start_identity(identity)
        pruner.start()
        loop_lag.start()
        try:
            yield
        finally:
            await loop_lag.stop()
            await writer.stop()
            await publisher.stop()
            await pruner.stop()
            await starter.stop()
            await engine.dispose()
            if proxy is not None:
                await proxy.aclose()
            await link_http.aclose()

    checks = [database_check(engine), NamedCheck("kafka", messaging.check)]
    app = build_http_app(settings, checks, lifespan, proxy, loop_lag)
    app.state.deps = deps
    app.state.identity = identity
    app.state.links = links
    app.state.token_verifier = verifier
    return app
