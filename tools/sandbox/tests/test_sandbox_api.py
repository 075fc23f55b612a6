"""The sandbox answers like Meta's send endpoint: tokens, bodies, recording, faults, statuses."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from bancone_sandbox import ChannelConfig, SandboxSettings, create_app

pytestmark = pytest.mark.unit

PHONE_ID = "106540352242922"
TOKEN = "EAAG-sandbox-token"
APP_SECRET = "demo-app-secret"
GATEWAY_URL = "http://gateway.test/webhooks/whatsapp"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEND = f"/v23.0/{PHONE_ID}/messages"


@dataclass
class FakeGateway:
    """A receiving endpoint that keeps each webhook's raw bytes and headers."""

    status_code: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/whatsapp")
        async def webhook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            return Response(status_code=self.status_code)

        return app


@dataclass
class Harness:
    client: httpx.AsyncClient
    gateway: FakeGateway


def text_body(to: str, text: str = "Ciao!") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": text, "preview_url": False},
    }


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Poll `check` until true or fail at the deadline."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail("condition not met before the deadline")
        await asyncio.sleep(0.01)


async def make_harness(
    *, status_webhooks: bool = True, gateway_status: int = 200
) -> tuple[httpx.AsyncClient, httpx.AsyncClient, FakeGateway]:
    gateway = FakeGateway(status_code=gateway_status)
    webhook_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.app()))
    settings = SandboxSettings(
        channels=[
            ChannelConfig(
                phone_number_id=PHONE_ID,
                access_token=TOKEN,
                app_secret=APP_SECRET,
                gateway_webhook_url=GATEWAY_URL,
                status_webhooks=status_webhooks,
            )
        ],
        status_interval_seconds=0,
        send_delay_seconds=0,
    )
    app = create_app(settings, webhook_client=webhook_client)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")
    return client, webhook_client, gateway


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    client, webhook_client, gateway = await make_harness()
    async with client, webhook_client:
        yield Harness(client, gateway)


@pytest.fixture
async def sandbox(harness: Harness) -> httpx.AsyncClient:
    return harness.client


async def messages_to(client: httpx.AsyncClient, wa_id: str) -> list[dict[str, Any]]:
    response = await client.get("/sandbox/messages", params={"to": wa_id})
    assert response.status_code == 200
    records: list[dict[str, Any]] = response.json()
    return records


def assert_meta_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(f"(#{code})")
    assert {"type", "error_subcode", "fbtrace_id"} <= error.keys()


async def test_valid_text_is_accepted_with_meta_success_shape(sandbox: httpx.AsyncClient) -> None:
    response = await sandbox.post(SEND, json=text_body("+39 347 000 0001"), headers=AUTH)

    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+39 347 000 0001", "wa_id": "393470000001"}]
    [message] = body["messages"]
    assert message["id"].startswith("wamid.")


async def test_each_accepted_message_gets_a_unique_wamid(sandbox: httpx.AsyncClient) -> None:
    ids = set()
    for _ in range(20):
        response = await sandbox.post(SEND, json=text_body("393470000002"), headers=AUTH)
        ids.add(response.json()["messages"][0]["id"])

    assert len(ids) == 20


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["missing", "wrong-token", "wrong-scheme"],
)
async def test_bad_or_missing_token_is_401_code_190_and_nothing_recorded(
    sandbox: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await sandbox.post(SEND, json=text_body("393470000003"), headers=headers)

    assert_meta_error(response, 401, 190)
    assert response.json()["error"]["type"] == "OAuthException"
    assert await messages_to(sandbox, "393470000003") == []


async def test_unknown_phone_number_id_is_refused_like_graph(sandbox: httpx.AsyncClient) -> None:
    response = await sandbox.post("/v23.0/999/messages", json=text_body("39347"), headers=AUTH)

    assert_meta_error(response, 400, 100)
    assert response.json()["error"]["error_subcode"] == 33


def _buttons(*titles: str) -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": "Quale preferisci?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": f"b{i}", "title": t}}
                for i, t in enumerate(titles)
            ]
        },
    }


def _list(rows: int) -> dict[str, Any]:
    return {
        "type": "list",
        "body": {"text": "Ecco i rossi"},
        "action": {
            "button": "Vedi vini",
            "sections": [
                {
                    "title": "Rossi",
                    "rows": [{"id": f"r{i}", "title": "Chianti"} for i in range(rows)],
                }
            ],
        },
    }


BAD_BODIES: list[tuple[str, dict[str, Any], int]] = [
    ("no-product", {"to": "39347", "type": "text", "text": {"body": "x"}}, 131008),
    ("no-to", {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, 131008),
    ("no-text-object", {"messaging_product": "whatsapp", "to": "39347", "type": "text"}, 131008),
    ("sms-product", {**text_body("39347"), "messaging_product": "sms"}, 131009),
    ("text-too-long", text_body("39347", "x" * 4097), 131009),
    ("empty-text", text_body("39347", ""), 131009),
    ("bad-type", {**text_body("39347"), "type": "carrier_pigeon"}, 131009),
    ("bad-to", text_body("not-a-number"), 131009),
    (
        "button-title-21",
        {**text_body("39347"), "type": "interactive", "interactive": _buttons("x" * 21)},
        131009,
    ),
    (
        "four-buttons",
        {**text_body("39347"), "type": "interactive", "interactive": _buttons("a", "b", "c", "d")},
        131009,
    ),
    (
        "duplicate-button-titles",
        {**text_body("39347"), "type": "interactive", "interactive": _buttons("Sì", "Sì")},
        131009,
    ),
    (
        "list-11-rows",
        {**text_body("39347"), "type": "interactive", "interactive": _list(11)},
        131009,
    ),
    ("image-without-id-or-link", {**text_body("39347"), "type": "image", "image": {}}, 131008),
]


@pytest.mark.parametrize(
    ("body", "code"), [(b, c) for _, b, c in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES]
)
async def test_invalid_body_is_400_with_missing_or_invalid_parameter_code(
    sandbox: httpx.AsyncClient, body: dict[str, Any], code: int
) -> None:
    response = await sandbox.post(SEND, json=body, headers=AUTH)

    assert_meta_error(response, 400, code)
    assert response.json()["error"]["error_data"]["details"]
    assert await messages_to(sandbox, "39347") == []


async def test_malformed_json_is_400_code_100(sandbox: httpx.AsyncClient) -> None:
    response = await sandbox.post(SEND, content=b"{not json", headers=AUTH)

    assert_meta_error(response, 400, 100)


@pytest.mark.parametrize(
    "interactive",
    [_buttons("Rosso", "Bianco", "Bollicine"), _list(10)],
    ids=["three-buttons", "list-10-rows"],
)
async def test_interactive_within_limits_is_accepted(
    sandbox: httpx.AsyncClient, interactive: dict[str, Any]
) -> None:
    body = {**text_body("393470000004"), "type": "interactive", "interactive": interactive}
    response = await sandbox.post(SEND, json=body, headers=AUTH)

    assert response.status_code == 200
    [record] = await messages_to(sandbox, "393470000004")
    assert record["type"] == "interactive"


async def test_mark_as_read_answers_success_and_is_not_a_message(
    sandbox: httpx.AsyncClient,
) -> None:
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.HBgLinbound",
        "typing_indicator": {"type": "text"},
    }
    response = await sandbox.post(SEND, json=body, headers=AUTH)

    assert response.status_code == 200
    assert response.json() == {"success": True}
    reads = (await sandbox.get("/sandbox/reads")).json()
    assert [(r["message_id"], r["typing_indicator"]) for r in reads] == [
        ("wamid.HBgLinbound", True)
    ]
    assert (await sandbox.get("/sandbox/messages")).json() == []


async def test_messages_are_listed_per_recipient_oldest_first(sandbox: httpx.AsyncClient) -> None:
    for to, text in [("393470000005", "uno"), ("393470000006", "altro"), ("393470000005", "due")]:
        await sandbox.post(SEND, json=text_body(to, text), headers=AUTH)
    await sandbox.post(SEND, json=text_body("+39 347 000 0005", "tre"), headers=AUTH)

    records = await messages_to(sandbox, "393470000005")

    assert [r["body"]["text"]["body"] for r in records] == ["uno", "due", "tre"]
    assert all(r["phone_number_id"] == PHONE_ID for r in records)
    assert all(r["id"].startswith("wamid.") for r in records)
    times = [r["received_at"] for r in records]
    assert times == sorted(times)
    assert times[0].endswith("+00:00")
    by_plus = (await sandbox.get("/sandbox/messages", params={"to": "+393470000005"})).json()
    assert [r["id"] for r in by_plus] == [r["id"] for r in records]


async def test_delete_messages_clears_the_record(sandbox: httpx.AsyncClient) -> None:
    await sandbox.post(SEND, json=text_body("393470000007"), headers=AUTH)

    assert (await sandbox.delete("/sandbox/messages")).status_code == 204
    assert await messages_to(sandbox, "393470000007") == []


async def test_fault_fails_the_next_n_sends_then_sends_succeed(sandbox: httpx.AsyncClient) -> None:
    fault = await sandbox.post("/sandbox/faults", json={"status": 429, "count": 2})
    assert fault.status_code == 201
    assert fault.json()["code"] == 130429

    first = await sandbox.post(SEND, json=text_body("393470000008", "a"), headers=AUTH)
    second = await sandbox.post(SEND, json=text_body("393470000008", "b"), headers=AUTH)
    third = await sandbox.post(SEND, json=text_body("393470000008", "c"), headers=AUTH)

    assert_meta_error(first, 429, 130429)
    assert_meta_error(second, 429, 130429)
    assert third.status_code == 200
    assert [r["body"]["text"]["body"] for r in await messages_to(sandbox, "393470000008")] == ["c"]
    assert (await sandbox.get("/sandbox/faults")).json() == []
    stats = (await sandbox.get("/sandbox/stats")).json()
    assert (stats["attempts"], stats["accepted"], stats["faulted"]) == (3, 1, 2)


@pytest.mark.parametrize(("status", "code"), [(500, 131000), (503, 131016), (400, 131047)])
async def test_fault_uses_the_requested_status_and_code(
    sandbox: httpx.AsyncClient, status: int, code: int
) -> None:
    await sandbox.post("/sandbox/faults", json={"status": status, "code": code, "count": 1})

    response = await sandbox.post(SEND, json=text_body("393470000009"), headers=AUTH)

    assert_meta_error(response, status, code)


async def test_unsupported_fault_status_is_refused(sandbox: httpx.AsyncClient) -> None:
    response = await sandbox.post("/sandbox/faults", json={"status": 302})

    assert response.status_code == 422


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


async def test_channel_registration_is_idempotent_and_hides_secrets(
    sandbox: httpx.AsyncClient,
) -> None:
    channel = {
        "phone_number_id": "200000000000002",
        "access_token": "second-token",
        "app_secret": "second-secret",
        "gateway_webhook_url": GATEWAY_URL,
    }
    first = await sandbox.post("/sandbox/channels", json=channel)
    again = await sandbox.post("/sandbox/channels", json=channel)
    listed = (await sandbox.get("/sandbox/channels")).json()
    send = await sandbox.post(
        "/v24.0/200000000000002/messages",
        json=text_body("393470000015"),
        headers={"Authorization": "Bearer second-token"},
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert sorted(c["phone_number_id"] for c in listed) == ["106540352242922", "200000000000002"]
    assert all("access_token" not in c and "app_secret" not in c for c in listed)
    assert send.status_code == 200


async def test_delay_keeps_a_recorded_send_in_flight_until_it_elapses(
    sandbox: httpx.AsyncClient,
) -> None:
    await sandbox.put("/sandbox/delay", json={"seconds": 0.5, "phase": "after_record"})
    pending = asyncio.create_task(sandbox.post(SEND, json=text_body("393470000016"), headers=AUTH))

    async def recorded_and_in_flight() -> bool:
        stats = (await sandbox.get("/sandbox/stats")).json()
        return bool(await messages_to(sandbox, "393470000016")) and stats["in_flight"] == 1

    await eventually(recorded_and_in_flight)
    assert not pending.done()
    response = await pending
    assert response.status_code == 200
    assert (await sandbox.get("/sandbox/stats")).json()["in_flight"] == 0
