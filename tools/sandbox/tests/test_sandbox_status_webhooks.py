"""The sandbox posts signed status webhooks to the gateway like Meta: sent, delivered, read,
failed; never failing the send when the gateway refuses or is unreachable."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from bancone_sandbox import ChannelConfig, SandboxSettings, create_app
from tools.sandbox.tests.support import (
    APP_SECRET,
    AUTH,
    PHONE_ID,
    SEND,
    TOKEN,
    Harness,
    eventually,
    make_harness,
    text_body,
)

pytestmark = pytest.mark.unit


def _verify(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-hub-signature-256"], expected)
    parsed: dict[str, Any] = json.loads(body)
    return parsed


async def test_accepted_message_posts_signed_sent_delivered_read_statuses(
    harness: Harness,
) -> None:
    response = await harness.client.post(SEND, json=text_body("393470000010"), headers=AUTH)
    wamid = response.json()["messages"][0]["id"]

    async def three_received() -> bool:
        return len(harness.gateway.received) == 3

    await eventually(three_received)
    statuses = []
    for headers, body in harness.gateway.received:
        payload = _verify(headers, body)
        assert payload["object"] == "whatsapp_business_account"
        [entry] = payload["entry"]
        [change] = entry["changes"]
        assert change["field"] == "messages"
        value = change["value"]
        assert value["messaging_product"] == "whatsapp"
        assert value["metadata"]["phone_number_id"] == PHONE_ID
        [status] = value["statuses"]
        assert status["id"] == wamid
        assert status["recipient_id"] == "393470000010"
        assert isinstance(status["timestamp"], str)
        assert status["timestamp"].isdigit()
        statuses.append(status)
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    assert statuses[0]["pricing"]["pricing_model"] == "PMP"
    assert "conversation" in statuses[1]
    assert "pricing" not in statuses[2]
    record = (await harness.client.get(f"/sandbox/messages/{wamid}")).json()
    assert [(s["status"], s["gateway_status"]) for s in record["statuses"]] == [
        ("sent", 200),
        ("delivered", 200),
        ("read", 200),
    ]


async def test_fault_200_accepts_then_posts_a_failed_status(harness: Harness) -> None:
    await harness.client.post("/sandbox/faults", json={"status": 200, "code": 131026})

    response = await harness.client.post(SEND, json=text_body("393470000011"), headers=AUTH)

    assert response.status_code == 200
    wamid = response.json()["messages"][0]["id"]

    async def one_received() -> bool:
        return len(harness.gateway.received) == 1

    await eventually(one_received)
    headers, body = harness.gateway.received[0]
    [status] = _verify(headers, body)["entry"][0]["changes"][0]["value"]["statuses"]
    assert (status["id"], status["status"]) == (wamid, "failed")
    assert status["errors"][0]["code"] == 131026


async def test_channel_with_statuses_off_posts_no_webhook() -> None:
    client, webhook_client, gateway = await make_harness(status_webhooks=False)
    async with client, webhook_client:
        response = await client.post(SEND, json=text_body("393470000012"), headers=AUTH)
        stats = (await client.get("/sandbox/stats")).json()

    assert response.status_code == 200
    assert gateway.received == []
    assert stats["status_webhooks_posted"] == 0


async def test_gateway_refusing_statuses_does_not_fail_the_send() -> None:
    client, webhook_client, gateway = await make_harness(gateway_status=500)
    async with client, webhook_client:
        response = await client.post(SEND, json=text_body("393470000013"), headers=AUTH)

        async def counted() -> bool:
            stats = (await client.get("/sandbox/stats")).json()
            return bool(stats["status_webhooks_failed"] == 3)

        await eventually(counted)

    assert response.status_code == 200
    assert len(gateway.received) == 3


async def test_unreachable_gateway_does_not_fail_the_send() -> None:
    settings = SandboxSettings(
        channels=[
            ChannelConfig(
                phone_number_id=PHONE_ID,
                access_token=TOKEN,
                app_secret=APP_SECRET,
                gateway_webhook_url="http://127.0.0.1:9/webhooks/whatsapp",
            )
        ],
        status_interval_seconds=0,
        status_webhook_timeout_seconds=1,
    )
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        response = await c.post(SEND, json=text_body("393470000014"), headers=AUTH)

        async def counted() -> bool:
            stats = (await c.get("/sandbox/stats")).json()
            return bool(stats["status_webhooks_failed"] == 3)

        await eventually(counted)
    assert response.status_code == 200
