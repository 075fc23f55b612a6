"""The outbox backlog at `/metrics`: staged-but-unsent rows and the oldest one's age, read at
scrape time with a TTL; zero once the relay published; absent while unreadable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bancone_kit.http.app import create_app
from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.outbox import stage
from bancone_kit.messaging.outbox_metrics import database_label, unwatch_outbox, watch_outbox
from bancone_kit.messaging.relay import OutboxRelay
from bancone_kit.messaging.runtime import Messaging
from bancone_kit.settings import ServiceSettings
from bancone_kit.testing.probe import ProbeEvent, create_probe_schema

pytestmark = pytest.mark.service

UNSENT = "bancone_outbox_unsent_events"
AGE = "bancone_outbox_oldest_unsent_age_seconds"


@pytest.fixture
async def pg_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(postgres_url)
    await create_probe_schema(eng)
    yield eng
    unwatch_outbox(eng)
    await eng.dispose()


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(sqlite_url)
    await create_probe_schema(eng)
    yield eng
    unwatch_outbox(eng)
    await eng.dispose()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app("outbox metrics test", ServiceSettings(service_name="test"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as c:
        yield c


async def backlog(client: httpx.AsyncClient, database: str) -> dict[str, float]:
    """This database's outbox samples as `/metrics` serves them, by metric name."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name in (UNSENT, AGE) and sample.labels == {"database": database}:
                found[sample.name] = sample.value
    return found


async def stage_events(engine: AsyncEngine, topic: str, count: int) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    for n in range(count):
        async with sessions() as session, session.begin():
            stage(session, ProbeEvent.on(topic).make(n))


async def test_backlog_counts_unsent_rows_and_drops_to_zero_after_the_relay_publishes(
    pg_engine: AsyncEngine,
    client: httpx.AsyncClient,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    topic = await new_topic(partitions=1)
    database = database_label(pg_engine)
    await stage_events(pg_engine, topic, 3)
    watch_outbox(pg_engine, ttl_s=0)

    staged = await backlog(client, database)
    assert staged[UNSENT] == 3
    assert staged[AGE] > 0, "the oldest row was staged before the scrape"

    broker = make_broker(kafka_bootstrap, client_id="outbox-metrics-test")
    await broker.start()
    try:
        assert await OutboxRelay(pg_engine, broker).publish_pending() == 3
    finally:
        await broker.stop()

    assert await backlog(client, database) == {UNSENT: 0, AGE: 0}


async def test_backlog_is_cached_for_its_ttl_and_its_age_keeps_growing(
    sqlite_engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    database = database_label(sqlite_engine)
    await stage_events(sqlite_engine, "t-outbox-ttl", 1)
    watch_outbox(sqlite_engine, ttl_s=3600)
    first = await backlog(client, database)
    await stage_events(sqlite_engine, "t-outbox-ttl", 2)

    async with asyncio.timeout(10):  # the age is computed per scrape: it moves, the count not
        while (later := await backlog(client, database))[AGE] <= first[AGE]:
            pass
    assert first[UNSENT] == later[UNSENT] == 1, "no query within the TTL"

    watch_outbox(sqlite_engine, ttl_s=0)
    assert (await backlog(client, database))[UNSENT] == 3


async def test_an_unreadable_outbox_has_no_samples_and_the_scrape_still_answers(
    sqlite_url: str, client: httpx.AsyncClient
) -> None:
    engine = create_async_engine(sqlite_url)  # no outbox table: every read fails
    try:
        watch_outbox(engine, ttl_s=0)
        assert await backlog(client, database_label(engine)) == {}
    finally:
        unwatch_outbox(engine)
        await engine.dispose()


async def test_messaging_reports_its_outbox_while_started(
    pg_engine: AsyncEngine, client: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    database = database_label(pg_engine)
    messaging = Messaging(
        make_broker(kafka_bootstrap, client_id="outbox-metrics-runtime"), pg_engine
    )
    await messaging.start()
    try:
        assert await backlog(client, database) == {UNSENT: 0, AGE: 0}
    finally:
        await messaging.stop()
    assert await backlog(client, database) == {}
