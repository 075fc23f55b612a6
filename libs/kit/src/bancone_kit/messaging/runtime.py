"""Lifecycle of a service's messaging: the broker, its subscribers and the outbox relay.

Bootstrap registers subscribers (`subscriptions.register`) on the broker first, then builds
the HTTP app with `lifespan(...)` (start, serve, stop, close the rest) and
`readiness_checks(engine)` for `/readyz`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Lifespan

from bancone_kit.http.health import NamedCheck, database_check
from bancone_kit.messaging.outbox_metrics import unwatch_outbox, watch_outbox
from bancone_kit.messaging.relay import OutboxRelay

Closer = Callable[[], Awaitable[object]]


class BrokerUnreachableError(RuntimeError):
    pass


class Messaging:
    def __init__(self, broker: KafkaBroker, outbox_engine: AsyncEngine | None = None) -> None:
        self.broker = broker
        self.outbox_engine = outbox_engine
        self.relay = OutboxRelay(outbox_engine, broker) if outbox_engine is not None else None

    async def start(self) -> None:
        """Connect (subscribers join their groups), then let the relay drain the outbox;
        `/metrics` reports its backlog from now on."""
        await self.broker.start()
        if self.relay is not None:
            await self.relay.start()
        if self.outbox_engine is not None:
            watch_outbox(self.outbox_engine)

    async def stop(self) -> None:
        """Stop relaying first, then the broker, which lets in-flight handlers finish."""
        if self.outbox_engine is not None:
            unwatch_outbox(self.outbox_engine)
        if self.relay is not None:
            await self.relay.stop()
        await self.broker.stop()

    async def check(self) -> None:
        """Readiness: the broker answers within a few seconds."""
        if not await self.broker.ping(timeout=3.0):
            raise BrokerUnreachableError("Kafka broker did not answer")

    def readiness_checks(self, engine: AsyncEngine) -> list[NamedCheck]:
        """`/readyz` of a service with a database and Kafka: both must answer."""
        return [database_check(engine), NamedCheck("kafka", self.check)]

    def lifespan(self, *closers: Closer | None, before_stop: Closer | None = None) -> Lifespan[Any]:
        """An app lifespan: messaging runs while the app serves; on the way out `before_stop`
        runs (e.g. let work in flight finish), messaging stops, then `closers` run in order
        (None entries are skipped: optional clients)."""

        @asynccontextmanager
        async def lifespan(_: Any) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                if before_stop is not None:
                    await before_stop()
                await self.stop()
                for close in closers:
                    if close is not None:
                        await close()

        return lifespan
