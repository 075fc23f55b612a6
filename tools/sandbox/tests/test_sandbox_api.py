"""The sandbox answers like Meta's send endpoint: tokens, bodies, recording, faults, statuses."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tools.sandbox.tests.support import (
    AUTH,
    GATEWAY_URL,
    PHONE_ID,
    SEND,
    TOKEN,
    assert_meta_error,
    eventually,
    messages_to,
    text_body,
)

pytestmark = pytest.mark.unit


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
