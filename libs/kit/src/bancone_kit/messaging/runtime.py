"""Lifecycle of a service's messaging: the broker, its subscribers and the outbox relay.

Bootstrap registers subscribers (`subscriptions.register`) on the broker first, then the HTTP
app's lifespan calls `start`/`stop`; `/readyz` uses `check`.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_kit.messaging.outbox_metrics import unwatch_outbox, watch_outbox
from bancone_kit.messaging.relay import OutboxRelay


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
