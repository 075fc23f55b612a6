"""The test plugin's own fixtures, on the real Apache Kafka and PostgreSQL they provision."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bancone_contracts.topics import ALL_TOPICS
from bancone_kit.testing.fixtures import NewPostgresUrlFactory, NewTopicFactory
from bancone_kit.testing.provision import create_database, drop_database, libpq_url

pytestmark = pytest.mark.service


async def test_new_topic_round_trip_with_idempotent_acks_all_producer(
    kafka_bootstrap: str, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic(partitions=3, name_prefix="fixture")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        sent = [await producer.send_and_wait(topic, f"v{i}".encode(), key=b"k") for i in range(5)]
    finally:
        await producer.stop()
    # One key, one partition, consecutive offsets: the idempotent producer wrote each once.
    assert len({m.partition for m in sent}) == 1
    assert [m.offset for m in sent] == list(range(5))

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    got: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            while len(got) < 5:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    got.extend(r.value for r in records)
    finally:
        await consumer.stop()
    assert got == [f"v{i}".encode() for i in range(5)]


async def test_new_topic_creates_its_dlq_with_the_same_partitions(
    kafka_bootstrap: str, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic(partitions=2)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics([topic, f"{topic}.dlq"])}
    finally:
        await admin.close()
    assert {name: len(t["partitions"]) for name, t in described.items()} == {
        topic: 2,
        f"{topic}.dlq": 2,
    }


async def test_every_contract_topic_exists_with_its_layout(kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        names = [t.name for t in ALL_TOPICS]
        described = {t["topic"]: t for t in await admin.describe_topics(names)}
        compacted = [t.name for t in ALL_TOPICS if t.compacted]
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in compacted]
        )
    finally:
        await admin.close()
    assert {n: len(t["partitions"]) for n, t in described.items()} == {
        t.name: t.partitions for t in ALL_TOPICS
    }
    policies = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}["cleanup.policy"]
        for response in configs
        for resource in response.resources
    }
    assert policies == dict.fromkeys(compacted, "compact")


async def test_postgres_url_is_a_database_of_its_own(postgres_url: str) -> None:
    url = make_url(postgres_url)
    assert url.drivername == "postgresql+asyncpg"
    engine = create_async_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            assert await conn.scalar(text("select current_database()")) == url.database
            await conn.execute(text("create table probe (id int primary key)"))
            await conn.execute(text("insert into probe values (1)"))
            assert await conn.scalar(text("select count(*) from probe")) == 1
    finally:
        await engine.dispose()


async def test_databases_from_the_factory_are_isolated(
    new_postgres_url: NewPostgresUrlFactory,
) -> None:
    first, second = await new_postgres_url(), await new_postgres_url()
    assert make_url(first).database != make_url(second).database
    a, b = await asyncpg.connect(libpq_url(first)), await asyncpg.connect(libpq_url(second))
    try:
        await a.execute("create table only_here (id int)")
        assert await a.fetchval("select to_regclass('only_here') is not null")
        assert not await b.fetchval("select to_regclass('only_here') is not null")
    finally:
        await a.close()
        await b.close()


async def test_drop_database_removes_it_even_with_open_connections(
    postgres_admin_url: str,
) -> None:
    name = await create_database(postgres_admin_url, "dropme")
    held = await asyncpg.connect(libpq_url(postgres_admin_url, name))
    await drop_database(postgres_admin_url, name)
    admin = await asyncpg.connect(libpq_url(postgres_admin_url))
    try:
        assert not await admin.fetchval(
            "select exists(select from pg_database where datname=$1)", name
        )
    finally:
        await admin.close()
        held.terminate()


async def test_sqlite_url_is_a_file_in_the_test_tmp_dir(sqlite_url: str) -> None:
    assert sqlite_url.startswith("sqlite+aiosqlite:///")
    engine = create_async_engine(sqlite_url)
    try:
        async with engine.begin() as conn:
            assert await conn.scalar(text("select 1")) == 1
    finally:
        await engine.dispose()
    assert make_url(sqlite_url).database.endswith("/db.sqlite")  # type: ignore[union-attr]
