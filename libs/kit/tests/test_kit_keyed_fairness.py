"""The keyed dispatcher shares its slots between tenants: records fed by hand (no broker)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import pytest
from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker

from bancone_kit.messaging.keyed import KeyedDispatcher, tenant_of
from bancone_kit.messaging.retry import RetryPolicy

pytestmark = pytest.mark.unit

NO_BROKER = cast(KafkaBroker, None)
"""Only dead-lettering uses the broker, and nothing here fails."""


@dataclass
class RawRecord:
    topic: str
    partition: int
    offset: int
    key: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class FakeConsumer:
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


@dataclass
class FakeMessage:
    raw_message: RawRecord
    consumer: FakeConsumer


def test_the_tenant_is_the_header_else_the_key_prefix() -> None:
    assert tenant_of(b"shop-a:c1", None) == b"shop-a"
    assert tenant_of(b"shop-a:c1", [("tenant_id", b"shop-b")]) == b"shop-b"
    assert tenant_of(b"phone-123", []) == b"phone-123"
    assert tenant_of(None, None) is None


async def test_a_single_record_of_a_quiet_tenant_runs_before_a_flood_ahead_of_it_drains() -> None:
    handled: list[str] = []
    gate = asyncio.Event()

    async def handle(events: Sequence[str]) -> None:
        await gate.wait()
        handled.extend(events)

    consumer = FakeConsumer()
    dispatcher: KeyedDispatcher[str] = KeyedDispatcher(
        broker=NO_BROKER, handle=handle, max_in_flight=4, fold=False, retry=RetryPolicy(attempts=1)
    )
    offset = 0
    for n in range(1000):
        record = RawRecord("t", 0, offset, f"a:c{n % 100}".encode())
        await dispatcher.accept(f"a{n}", FakeMessage(record, consumer))
        offset += 1
    await dispatcher.accept("b0", FakeMessage(RawRecord("t", 0, offset, b"b:c1"), consumer))
    gate.set()
    await dispatcher.drain()
    assert len(handled) == 1001
    assert handled.index("b0") < 8, "b waits at most a round of slots, not for a's flood"
    assert consumer.commits[-1] == {TopicPartition("t", 0): 1001}


async def test_offsets_are_committed_only_below_the_oldest_record_held() -> None:
    release_first = asyncio.Event()

    async def handle(events: Sequence[str]) -> None:
        if "slow" in events:
            await release_first.wait()

    consumer = FakeConsumer()
    dispatcher: KeyedDispatcher[str] = KeyedDispatcher(
        broker=NO_BROKER, handle=handle, max_in_flight=2, fold=False, retry=RetryPolicy(attempts=1)
    )
    await dispatcher.accept("slow", FakeMessage(RawRecord("t", 0, 0, b"a:1"), consumer))
    for offset in range(1, 5):
        key = f"b:{offset}".encode()
        await dispatcher.accept("fast", FakeMessage(RawRecord("t", 0, offset, key), consumer))
    async with asyncio.timeout(10):
        while dispatcher.pending(b"b:4"):
            await asyncio.sleep(0)
    assert all(c[TopicPartition("t", 0)] == 0 for c in consumer.commits), "nothing past offset 0"
    release_first.set()
    await dispatcher.drain()
    assert consumer.commits[-1] == {TopicPartition("t", 0): 5}


async def test_records_finished_together_share_one_offset_commit() -> None:
    """Two hundred records handled at once cost a few commits, not one each, and the last
    commit, made before `drain` returns, covers them all."""
    consumer = FakeConsumer()

    async def handle(events: Sequence[str]) -> None:
        await asyncio.sleep(0)

    dispatcher: KeyedDispatcher[str] = KeyedDispatcher(
        broker=NO_BROKER, handle=handle, max_in_flight=64, fold=False, retry=RetryPolicy(attempts=1)
    )
    for offset in range(200):
        record = RawRecord("t", 0, offset, f"a:{offset % 50}".encode())
        await dispatcher.accept(f"e{offset}", FakeMessage(record, consumer))
    await dispatcher.drain()
    assert consumer.commits[-1] == {TopicPartition("t", 0): 200}
    assert len(consumer.commits) <= 3, consumer.commits
