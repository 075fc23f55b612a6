"""The one place that builds the catalog's concrete adapters and wires them into its app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
from fastapi import FastAPI

from bancone_catalog.adapters.sandbox_payments import SandboxPayments
from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.payments import PaymentProvider
from bancone_catalog.entrypoints.http import build_http_app
from bancone_catalog.order_handlers import expire_reservations
from bancone_catalog.settings import SANDBOX_DEV_API_KEY, SANDBOX_DEV_SECRET, CatalogSettings
from bancone_kit.clock import utcnow
from bancone_kit.db import create_engine, session_factory
from bancone_kit.http.health import NamedCheck, database_check
from bancone_kit.logging import get_logger
from bancone_kit.messaging.broker import broker_for
from bancone_kit.messaging.runtime import Messaging

log = get_logger(__name__)


def build_payments(
    settings: CatalogSettings, http: httpx.AsyncClient
) -> dict[str, PaymentProvider]:
    """The payment providers by name (the name is in their callback URL)."""
    if settings.payments_provider == "none":
        return {}
    key = settings.payments_sandbox_api_key
    secret = settings.payments_sandbox_secret
    return {
        "sandbox": SandboxPayments(
            settings.payments_sandbox_url,
            key.get_secret_value() if key else SANDBOX_DEV_API_KEY,
            secret.get_secret_value() if secret else SANDBOX_DEV_SECRET,
            http,
        )
    }


async def sweep_reservations(uow: CatalogUnitOfWork, interval: float) -> None:
    """Release expired reservations every `interval` seconds until cancelled."""
    while True:
        try:
            expired = await expire_reservations(uow, utcnow())
            if expired:
                log.info("reservations_expired", orders=expired)
        except Exception:
            log.exception("reservation_sweep_failed")
        await asyncio.sleep(interval)


def build_app(settings: CatalogSettings) -> FastAPI:
    """The catalog's ASGI app: its database, the outbox relay publishing catalog and order
    changes, the reservation sweeper, routes.

    The catalog consumes nothing; the broker only carries what the relay publishes.
    """
    engine = create_engine(settings.database_url)
    broker = broker_for(settings)
    messaging = Messaging(broker, engine)
    sessions = session_factory(engine)
    http = httpx.AsyncClient(timeout=10.0)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await messaging.start()
        sweeper = asyncio.create_task(
            sweep_reservations(CatalogUnitOfWork(sessions), settings.reservation_sweep_seconds)
        )
        try:
            yield
        finally:
            sweeper.cancel()
            with suppress(asyncio.CancelledError):
                await sweeper
            await http.aclose()
            await messaging.stop()
            await engine.dispose()

    checks = [database_check(engine), NamedCheck("kafka", messaging.check)]
    app = build_http_app(settings, checks, lifespan)
    app.state.session_factory = sessions
    app.state.payments = build_payments(settings, http)
    app.state.public_url = settings.public_url
    return app
