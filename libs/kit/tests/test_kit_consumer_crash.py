"""A consumer process killed around its database commit: at-least-once delivery, exactly-once effect."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bancone_kit.testing.probe import ProbeEvent, create_probe_schema, effects

pytestmark = pytest.mark.service


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(postgres_url)
    await create_probe_schema(eng)
    yield eng
    await eng.dispose()


class ConsumerProcess:
    """The probe consumer as a child process; its stdout lines are collected as they come."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bancone_kit.testing.crashing_consumer", *args],
            stdout=subprocess.PIPE,
            text=True,
        )

    async def next_line(self, seconds: float = 60) -> str:
        """The next line the probe itself printed (its `probe: ` prefix removed)."""
        async with asyncio.timeout(seconds):
            while True:
                line = await asyncio.to_thread(self.proc.stdout.readline)  # type: ignore[union-attr]
                if not line:
                    return "<exited>"
                if line.startswith("probe: "):
                    return line.removeprefix("probe: ").strip()

    async def wait_exit(self, seconds: float = 60) -> int:
        async with asyncio.timeout(seconds):
            return await asyncio.to_thread(self.proc.wait)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


async def publish(bootstrap: str, topic: str, event: ProbeEvent) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, event.to_bytes(), key=event.key().encode())
    finally:
        await producer.stop()


@pytest.mark.parametrize(
    ("crash", "effects_after_crash", "restart_says"),
    [("after-commit", 1, "duplicate"), ("before-commit", 0, "handled")],
)
async def test_consumer_killed_around_commit_gets_redelivery_and_exactly_one_effect(
    crash: str,
    effects_after_crash: int,
    restart_says: str,
    engine: AsyncEngine,
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    topic = await new_topic(partitions=1)
    group = f"crash-{uuid.uuid4().hex[:8]}"
    args = ["--bootstrap", kafka_bootstrap, "--topic", topic, "--group", group]
    args += ["--db", postgres_url]
    event = ProbeEvent.on(topic).make(42)
    await publish(kafka_bootstrap, topic, event)

    crashing = ConsumerProcess([*args, "--crash", crash])
    assert await crashing.next_line() == "ready"
    assert await crashing.wait_exit() == -signal.SIGKILL
    assert len(await effects(engine)) == effects_after_crash

    restarted = ConsumerProcess([*args, "--crash", "none"])
    try:
        assert await restarted.next_line() == "ready"
        assert await restarted.next_line() == f"{restart_says} {event.id}", "event redelivered"
    finally:
        restarted.stop()
    assert await effects(engine) == [(event.id, 42)]
