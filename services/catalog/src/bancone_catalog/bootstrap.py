"""The one place that builds the catalog's concrete adapters and wires them into its app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bancone_catalog.entrypoints.http import build_http_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.db import create_engine
from bancone_kit.http.health import database_check, kafka_check


def build_app(settings: CatalogSettings) -> FastAPI:
    """The catalog's ASGI app; its engine is disposed when the app shuts down."""
    engine = create_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.dispose()

    checks = [database_check(engine), kafka_check(settings.kafka_bootstrap_servers)]
    return build_http_app(settings, checks, lifespan)
