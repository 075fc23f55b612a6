from __future__ import annotations

import asyncio

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError

from bancone_kit.db import create_engine
from bancone_kit.http.app import create_app
from bancone_kit.http.health import NamedCheck, ReadinessCheck, database_check, kafka_check
from bancone_kit.settings import ServiceSettings


async def passing() -> None:
    return None


async def broker_down() -> None:
    raise ConnectionRefusedError("kafka at 10.0.0.1:9092")


async def hanging() -> None:
    await asyncio.Event().wait()


def client_for(*checks: ReadinessCheck, timeout_s: float = 1.0) -> httpx.AsyncClient:
    app = create_app(
        "test",
        ServiceSettings(service_name="test"),
        list(checks),
        readiness_timeout_s=timeout_s,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.unit
async def test_healthz_answers_while_dependencies_are_down() -> None:
    response = await client_for(broker_down).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.unit
async def test_readyz_is_ok_when_every_check_passes() -> None:
    response = await client_for(NamedCheck("database", passing), passing).get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "passing": "ok"}}


@pytest.mark.unit
async def test_readyz_is_a_503_problem_naming_what_failed() -> None:
    client = client_for(NamedCheck("database", passing), NamedCheck("kafka", broker_down))
    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "unavailable: kafka"
    assert body["checks"] == {"database": "ok", "kafka": "failed: ConnectionRefusedError"}
    assert "10.0.0.1" not in response.text


@pytest.mark.unit
async def test_readyz_reports_a_check_that_does_not_answer_in_time() -> None:
    response = await client_for(NamedCheck("kafka", hanging), timeout_s=0.05).get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"kafka": "timed out"}


@pytest.mark.service
async def test_database_check_passes_on_postgresql_and_sqlite(
    postgres_url: str, sqlite_url: str
) -> None:
    for url in (postgres_url, sqlite_url):
        engine = create_engine(url)
        try:
            await database_check(engine)()
        finally:
            await engine.dispose()


@pytest.mark.service
async def test_database_check_fails_when_the_database_is_unreachable() -> None:
    engine = create_engine("postgresql+asyncpg://nobody:x@127.0.0.1:1/none")
    try:
        with pytest.raises(ConnectionRefusedError):
            await database_check(engine)()
    finally:
        await engine.dispose()


@pytest.mark.service
async def test_kafka_check_passes_against_a_real_broker(kafka_bootstrap: str) -> None:
    await kafka_check(kafka_bootstrap)()


@pytest.mark.service
async def test_kafka_check_fails_when_no_broker_listens() -> None:
    with pytest.raises(KafkaConnectionError):
        await kafka_check("127.0.0.1:1", timeout_s=1.0)()
