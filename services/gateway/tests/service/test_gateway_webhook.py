"""POST /webhooks/whatsapp on real PostgreSQL and Kafka: 200 only once Kafka has every event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bancone_contracts.events import InboundMessageReceived, WhatsAppStatusUpdated
from bancone_contracts.topics import INBOUND, STATUS
from bancone_contracts.whatsapp import message_event_id
from bancone_gateway import metrics
from bancone_gateway.domain.signature import sign
from services.gateway.tests.support_webhook import PATH, Channel, events_of, post, provision

pytestmark = pytest.mark.service


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> AsyncIterator[Any]:
    async with make_gateway() as running:
        yield running


@pytest.fixture
async def channel(gateway: Any, unique: Callable[[str], str]) -> Channel:
    return await provision(gateway, unique("shop"), unique("pn"))


async def test_a_signed_batch_of_two_customers_and_a_status_publishes_three_events(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any
) -> None:
    inbound, status = await topic_window(INBOUND), await topic_window(STATUS)
    first = wa.text("393331110001", "Vorrei un vino rosso sotto i 20 \u20ac, perch\u00e9 no?")
    second = wa.text("393331110002", "Hola, \u00bftienen aceite?")
    delivered = wa.status("393331110003", "delivered")
    body = wa.encode(
        wa.payload(
            wa.value(channel.phone_number_id, messages=[first, second], statuses=[delivered])
        )
    )
    assert b"\\u20ac" in body, "non-ASCII travels escaped, as Meta sends it"

    response = await post(gateway, body, sign(body, channel.app_secret))

    assert response.status_code == 200, response.text
    assert response.json()["published"] == 3
    messages = events_of(await inbound.read(), INBOUND, channel.tenant_id)
    statuses = events_of(await status.read(), STATUS, channel.tenant_id)
    assert all(isinstance(e, InboundMessageReceived) for e in messages)
    assert sorted(e.data.message_id for e in messages) == sorted([first["id"], second["id"]])
    assert {e.key() for e in messages} == {
        f"{channel.tenant_id}:393331110001",
        f"{channel.tenant_id}:393331110002",
    }
    assert {e.id for e in messages} == {
        message_event_id(first["id"]),
        message_event_id(second["id"]),
    }
    assert [type(e) for e in statuses] == [WhatsAppStatusUpdated]
    assert statuses[0].data.wamid == delivered["id"]
    assert statuses[0].key() == f"{channel.tenant_id}:393331110003"
    text = next(e for e in messages if e.data.message_id == first["id"]).data.content
    assert text.body.startswith("Vorrei un vino rosso sotto i 20 \u20ac")


async def test_the_same_webhook_three_times_publishes_once(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any
) -> None:
    inbound = await topic_window(INBOUND)
    message = wa.text("393331110004", "Ciao")
    body = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[message])))

    answers = [await post(gateway, body, sign(body, channel.app_secret)) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["published"] for a in answers] == [1, 0, 0]
    assert [a.json()["duplicates"] for a in answers] == [0, 1, 1]
    published = events_of(await inbound.read(), INBOUND, channel.tenant_id)
    assert [e.data.message_id for e in published] == [message["id"]]


@pytest.mark.parametrize("signature", ["wrong-secret", "missing", "tampered"])
async def test_a_bad_signature_is_refused_with_401_and_nothing_is_published(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any, signature: str
) -> None:
    inbound = await topic_window(INBOUND)
    body = wa.encode(
        wa.payload(wa.value(channel.phone_number_id, messages=[wa.text("393331110005", "Ciao")]))
    )
    header = {
        "wrong-secret": sign(body, "not-the-app-secret"),
        "missing": None,
        "tampered": sign(body.replace(b"Ciao", b"Ciaa"), channel.app_secret),
    }[signature]

    response = await post(gateway, body, header)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert events_of(await inbound.read(), INBOUND, channel.tenant_id) == []
    assert await gateway.scalar("SELECT count(*) FROM webhook_receipts") == 0


async def test_one_tenants_secret_cannot_vouch_for_another_tenants_number(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any, unique: Callable[[str], str]
) -> None:
    other = await provision(gateway, unique("other"), unique("pn-other"))
    inbound = await topic_window(INBOUND)
    body = wa.encode(
        wa.payload(
            wa.value(channel.phone_number_id, messages=[wa.text("393331110006", "Ciao")]),
            wa.value(other.phone_number_id, messages=[wa.text("393331110007", "Ciao")]),
        )
    )

    response = await post(gateway, body, sign(body, channel.app_secret))

    assert response.status_code == 401
    assert events_of(await inbound.read(), INBOUND, other.tenant_id) == []


async def test_an_unknown_phone_number_id_is_acknowledged_dropped_and_counted(
    gateway: Any, wa: Any, topic_window: Any, unique: Callable[[str], str]
) -> None:
    inbound = await topic_window(INBOUND)
    unknown = unique("pn-unknown")
    message = wa.text("393331110008", "Ciao")
    body = wa.encode(wa.payload(wa.value(unknown, messages=[message])))
    before = metrics.WEBHOOK_UNKNOWN_PHONE_NUMBER_ID._value.get()

    response = await post(gateway, body, sign(body, "whatever-secret"))

    assert response.status_code == 200
    assert response.json()["published"] == 0
    assert metrics.WEBHOOK_UNKNOWN_PHONE_NUMBER_ID._value.get() == before + 1
    assert not [r for r in await inbound.read() if message["id"].encode() in r.value]
    scraped = (await gateway.client.get("/metrics")).text
    assert "bancone_gateway_webhook_unknown_phone_number_id_total" in scraped


async def test_a_disabled_channel_is_treated_as_unknown(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any
) -> None:
    deleted = await gateway.client.delete(
        f"/v1/tenants/{channel.tenant_id}/channels/{channel.phone_number_id}",
        headers=gateway.admin,
    )
    assert deleted.status_code == 204
    inbound = await topic_window(INBOUND)
    body = wa.encode(
        wa.payload(wa.value(channel.phone_number_id, messages=[wa.text("393331110009", "Ciao")]))
    )

    response = await post(gateway, body, sign(body, channel.app_secret))

    assert response.status_code == 200
    assert events_of(await inbound.read(), INBOUND, channel.tenant_id) == []


async def test_an_oversized_body_is_refused_with_413_by_content_length(
    make_gateway: Callable[..., Any], channel: Channel
) -> None:
    async with make_gateway(webhook_max_body_bytes=2048) as small:
        body = b'{"object":"whatsapp_business_account","entry":[]}' + b" " * 4096
        response = await post(small, body, sign(body, channel.app_secret))
    assert response.status_code == 413
    assert response.json()["title"] == "Payload too large"


async def test_an_oversized_streamed_body_without_length_is_cut_off_with_413(
    make_gateway: Callable[..., Any],
) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"object":"whatsapp_business_account","entry":['
        for _ in range(100_000):
            sent += 1
            yield b" " * 1024

    async with make_gateway(webhook_max_body_bytes=8192) as small:
        response = await small.client.post(
            PATH, content=endless(), headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
        )
    assert response.status_code == 413
    assert sent < 100, "the gateway stopped reading soon after the limit"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"object": "whatsapp_business_account", "entry": [', "not valid JSON"),
        (b'{"entry": "nope"}', "not a WhatsApp webhook"),
    ],
)
async def test_a_malformed_body_is_refused_with_400(gateway: Any, body: bytes, detail: str) -> None:
    response = await post(gateway, body, sign(body, "any-secret-value"))
    assert response.status_code == 400
    assert detail in response.json()["detail"]


async def test_with_kafka_unreachable_it_answers_503_keeps_no_receipt_and_a_retry_publishes(
    make_gateway: Callable[..., Any],
    channel: Channel,
    wa: Any,
    topic_window: Any,
    closed_port: int,
) -> None:
    inbound = await topic_window(INBOUND)
    message = wa.text("393331110010", "Ciao, ci siete?")
    body = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[message])))

    async with make_gateway(
        kafka_bootstrap_servers=f"127.0.0.1:{closed_port}", webhook_publish_timeout_seconds=2.0
    ) as cut_off:
        refused = await post(cut_off, body, sign(body, channel.app_secret))
        ready = await cut_off.client.get("/readyz")
        assert await cut_off.scalar("SELECT count(*) FROM webhook_receipts") == 0

    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert ready.status_code == 503
    assert events_of(await inbound.read(), INBOUND, channel.tenant_id) == []

    async with make_gateway() as restored:
        retried = await post(restored, body, sign(body, channel.app_secret))
    assert retried.status_code == 200
    assert retried.json()["published"] == 1
    published = events_of(await inbound.read(), INBOUND, channel.tenant_id)
    assert [e.data.message_id for e in published] == [message["id"]]


async def test_the_handshake_echoes_the_challenge_for_a_registered_verify_token(
    gateway: Any, channel: Channel
) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": channel.verify_token}
    ok = await gateway.client.get(PATH, params={**params, "hub.challenge": "1158201444"})
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    assert ok.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "not-a-token", "hub.challenge": "chal-9QzX"},
        {
            "hub.mode": "unsubscribe",
            "hub.verify_token": "verify-me-123",
            "hub.challenge": "chal-9QzX",
        },
        {"hub.mode": "subscribe", "hub.challenge": "chal-9QzX"},
    ],
)
async def test_the_handshake_is_refused_with_403_otherwise(
    gateway: Any, channel: Channel, params: dict[str, str]
) -> None:
    response = await gateway.client.get(PATH, params=params)
    assert response.status_code == 403
    assert "chal-9QzX" not in response.text


async def test_concurrent_deliveries_of_one_webhook_publish_it_once(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any
) -> None:
    inbound = await topic_window(INBOUND)
    message = wa.text("393331110011", "Ciao")
    body = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[message])))

    answers = await asyncio.gather(
        *(post(gateway, body, sign(body, channel.app_secret)) for _ in range(5))
    )

    assert [a.status_code for a in answers] == [200] * 5
    assert sum(a.json()["published"] for a in answers) == 1
    published = events_of(await inbound.read(), INBOUND, channel.tenant_id)
    assert [e.data.message_id for e in published] == [message["id"]]


async def test_with_the_database_unreachable_it_answers_503(
    make_gateway: Callable[..., Any], wa: Any, closed_port: int
) -> None:
    body = wa.encode(wa.payload(wa.value("PN1", messages=[wa.text("393331110012", "Ciao")])))
    down = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port}/gateway"
    async with make_gateway(database_url=down) as gateway:
        response = await post(gateway, body, sign(body, "any-app-secret"))
    assert response.status_code == 503
    assert response.json()["title"] == "Storage unavailable"
