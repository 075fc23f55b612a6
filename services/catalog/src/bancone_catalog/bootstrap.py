"""The one place that builds the catalog's concrete adapters and wires them into its app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bancone_catalog.entrypoints.http import build_http_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.db import create_engine, session_factory
from bancone_kit.http.health import NamedCheck, database_check
from bancone_kit.messaging.broker import broker_for
from bancone_kit.messaging.runtime import Messaging


def build_app(settings: CatalogSettings) -> FastAPI:
    """The catalog's ASGI app: its database, the outbox relay publishing catalog changes, routes.

    The catalog consumes nothing; the broker only carries what the relay publishes.
    """
    engine = create_engine(settings.database_url)
    broker = broker_for(settings)
    messaging = Messaging(broker, engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await messaging.start()
        try:
            yield
        finally:
            await messaging.stop()
            await engine.dispose()

    checks = [database_check(engine), NamedCheck("kafka", messaging.check)]
    app = build_http_app(settings, checks, lifespan)
    app.state.session_factory = session_factory(engine)
    return app
