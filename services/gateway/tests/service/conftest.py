"""The gateway running in-process (its real bootstrap and lifespan) on real PostgreSQL and Kafka.

Topics: the gateway publishes to the contract topics (`bancone.inbound.v1`, ...), which the
session's `kafka_bootstrap` fixture creates once. Tests stay isolated without injecting topic
names: each test uses its own tenant and phone number ids, and reads only the window of the
topic between two end-offset snapshots (taken before and after what it does) — Kafka acked
every event before the gateway answered, so the window holds all of them and nothing racy.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from bancone_contracts.topics import ALL_TOPICS
from bancone_gateway.bootstrap import build_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.crypto import Keyring, SecretBox, generate_key
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database

PLATFORM_EMAIL = "platform@bancone.test"
PLATFORM_PASSWORD = "Piattaforma-Vesuvio-Lampone-73"
CHANNEL_KEYRING = f"test-channel:{generate_key()}"
SECRETS_KEYRING = f"test-rest:{generate_key()}"
LINK_KEYRING = f"test-link:{generate_key()}"
"""One at-rest keyring for the session: gateways restarted on the same database must open it."""


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    settings: GatewaySettings
    platform_token: str | None = None

    @property
    def admin(self) -> dict[str, str]:
        """The platform operator's bearer (logged in at start): provisioning needs it."""
        assert self.platform_token, "the platform operator could not log in"
        return {"Authorization": f"Bearer {self.platform_token}"}

    async def log_in_platform(self) -> None:
        response = await self.client.post(
            "/v1/auth/login",
            json={
                "email": self.settings.platform_operator_email,
                "password": PLATFORM_PASSWORD,
            },
        )
        if response.status_code == 200:
            self.platform_token = response.json()["access_token"]

    async def scalar(self, sql: str, **params: Any) -> Any:
        engine = create_engine(self.settings.database_url)
        try:
            async with engine.connect() as connection:
                return (await connection.execute(sa.text(sql), params)).scalar()
        finally:
            await engine.dispose()


GatewayFactory = Callable[..., AbstractAsyncContextManager[Gateway]]


@pytest.fixture
async def gateway_db(postgres_url: str) -> str:
    await upgrade_database(postgres_url, "bancone_gateway.migrations")
    return postgres_url


@pytest.fixture
def channel_box() -> SecretBox:
    """What the notifier holds: the channel keyring the gateways of these tests seal with."""
    return SecretBox(Keyring.parse(CHANNEL_KEYRING))


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def make_gateway(gateway_db: str, kafka_bootstrap: str) -> GatewayFactory:
    """Start a gateway app (lifespan included) on this test's database; override settings."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Gateway]:
        values: dict[str, Any] = {
            "environment": "dev",
            "database_url": gateway_db,
            "kafka_bootstrap_servers": kafka_bootstrap,
            "platform_operator_email": PLATFORM_EMAIL,
            "platform_bootstrap_password": PLATFORM_PASSWORD,
            "secrets_keyring": SECRETS_KEYRING,
            "channel_keyring": CHANNEL_KEYRING,
            "link_keyring": LINK_KEYRING,
            "webhook_publish_timeout_seconds": 5.0,
            "messaging_retry_seconds": 60.0,
            **overrides,
        }
        settings = GatewaySettings(**values)
        app = build_app(settings)
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                running = Gateway(app, client, settings)
                await running.log_in_platform()
                yield running

    return start


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Ids of this test only (tenant slugs, phone number ids)."""
    tag = uuid.uuid4().hex[:10]
    return lambda prefix: f"{prefix}-{tag}"


class TopicWindow:
    """The records a topic received between `open` and `read`, across all partitions."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self._start: dict[TopicPartition, int] = {}

    async def open(self) -> TopicWindow:
        await self._consumer.start()
        partitions = {spec.name: spec.partitions for spec in ALL_TOPICS}[self.topic]
        tps = [TopicPartition(self.topic, p) for p in range(partitions)]
        self._consumer.assign(tps)
        self._start = await self._consumer.end_offsets(tps)
        return self

    async def close(self) -> None:
        await self._consumer.stop()

    async def read(self) -> list[Any]:
        """Every record from the opening snapshot up to the end offsets as of now."""
        end = await self._consumer.end_offsets(list(self._start))
        records: list[Any] = []
        for tp, offset in self._start.items():
            if end[tp] > offset:
                self._consumer.seek(tp, offset)
        pending = {tp for tp in self._start if end[tp] > self._start[tp]}
        async with asyncio.timeout(30):
            while pending:
                batch = await self._consumer.getmany(*pending, timeout_ms=500)
                for tp, got in batch.items():
                    records.extend(r for r in got if r.offset < end[tp])
                    if await self._consumer.position(tp) >= end[tp]:
                        pending.discard(tp)
        return records

    async def read_until(self, done: Callable[[list[Any]], bool], within: float = 20) -> list[Any]:
        """Poll `read` until `done(records)` holds (events published asynchronously)."""
        async with asyncio.timeout(within):
            while True:
                records = await self.read()
                if done(records):
                    return records
                await asyncio.sleep(0.1)


@pytest.fixture
async def topic_window(kafka_bootstrap: str) -> AsyncIterator[Callable[[str], Any]]:
    opened: list[TopicWindow] = []

    async def open_window(topic: str) -> TopicWindow:
        window = await TopicWindow(kafka_bootstrap, topic).open()
        opened.append(window)
        return window

    yield open_window
    for window in opened:
        await window.close()
