"""The sandbox enforces Meta's rules: the 24-hour window (131047), unknown or unapproved
templates (132001), the number's throughput (130429) and the pair rate (131056) — each refusal
recorded, nothing recorded as sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bancone_cli.webhooks import DEFAULT_WABA_ID
from bancone_sandbox.errors import GraphError
from bancone_sandbox.meta_rules import MetaRules
from tools.sandbox.tests.support import (
    AUTH,
    PHONE_ID,
    SEND,
    assert_meta_error,
    messages_to,
    text_body,
)

pytestmark = pytest.mark.unit

TEMPLATES = f"/v23.0/{DEFAULT_WABA_ID}/message_templates"


def template_body(to: str, name: str = "new_offer", language: str = "it") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {"name": name, "language": {"code": language}, "components": []},
    }


async def rules(sandbox: httpx.AsyncClient, **change: Any) -> None:
    (await sandbox.put("/sandbox/rules", json=change)).raise_for_status()


async def refusals(sandbox: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await sandbox.get("/sandbox/compliance")).json()["refusals"]
    return found


async def inbound(sandbox: httpx.AsyncClient, wa_id: str, at: datetime | None = None) -> None:
    payload: dict[str, Any] = {"phone_number_id": PHONE_ID, "wa_id": wa_id}
    if at is not None:
        payload["timestamp"] = at.isoformat()
    (await sandbox.post("/sandbox/inbound", json=payload)).raise_for_status()


async def create_template(sandbox: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "new_offer", "language": "it", "category": "MARKETING", **fields}
    response = await sandbox.post(TEMPLATES, json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_by_default_only_templates_are_checked_so_existing_tests_keep_sending(
    sandbox: httpx.AsyncClient,
) -> None:
    rules_now = (await sandbox.get("/sandbox/compliance")).json()
    assert rules_now["enforce_window"] is False
    assert rules_now["enforce_templates"] is True
    assert (rules_now["number_rate_per_second"], rules_now["pair_interval_seconds"]) == (None, None)
    for _ in range(3):
        response = await sandbox.post(SEND, json=text_body("393470001001"), headers=AUTH)
        assert response.status_code == 200


async def test_free_form_without_a_customer_message_is_131047_and_not_sent(
    sandbox: httpx.AsyncClient,
) -> None:
    await rules(sandbox, enforce_window=True)

    response = await sandbox.post(SEND, json=text_body("393470001002"), headers=AUTH)

    assert_meta_error(response, 400, 131047)
    assert await messages_to(sandbox, "393470001002") == []
    [refused] = await refusals(sandbox)
    assert (refused["code"], refused["to"], refused["type"]) == (131047, "393470001002", "text")


async def test_free_form_more_than_24_hours_after_the_customer_wrote_is_131047(
    sandbox: httpx.AsyncClient,
) -> None:
    await rules(sandbox, enforce_window=True)
    await inbound(sandbox, "393470001003", datetime.now(UTC) - timedelta(hours=24, seconds=5))

    response = await sandbox.post(SEND, json=text_body("393470001003"), headers=AUTH)

    assert_meta_error(response, 400, 131047)


async def test_free_form_inside_the_window_is_sent(sandbox: httpx.AsyncClient) -> None:
    await rules(sandbox, enforce_window=True)
    await inbound(sandbox, "393470001004", datetime.now(UTC) - timedelta(hours=23))

    response = await sandbox.post(SEND, json=text_body("393470001004"), headers=AUTH)

    assert response.status_code == 200
    assert len(await messages_to(sandbox, "393470001004")) == 1
    assert await refusals(sandbox) == []


async def test_an_approved_template_goes_out_outside_the_window(sandbox: httpx.AsyncClient) -> None:
    await rules(sandbox, enforce_window=True)
    created = await create_template(sandbox)
    assert created["status"] == "APPROVED"

    response = await sandbox.post(SEND, json=template_body("393470001005"), headers=AUTH)

    assert response.status_code == 200
    assert response.json()["messages"][0]["message_status"] == "accepted"


async def test_an_unknown_template_is_132001(sandbox: httpx.AsyncClient) -> None:
    await create_template(sandbox, language="en")  # the same name in another language

    response = await sandbox.post(SEND, json=template_body("393470001006"), headers=AUTH)

    assert_meta_error(response, 404, 132001)
    assert await messages_to(sandbox, "393470001006") == []
    [refused] = await refusals(sandbox)
    assert refused["code"] == 132001


@pytest.mark.parametrize("status", ["PENDING", "REJECTED", "PAUSED"])
async def test_a_template_not_approved_is_132001(sandbox: httpx.AsyncClient, status: str) -> None:
    created = await create_template(sandbox)
    changed = await sandbox.put(
        f"/sandbox/templates/{created['id']}/status", json={"status": status}
    )
    assert changed.status_code == 200

    response = await sandbox.post(SEND, json=template_body("393470001007"), headers=AUTH)

    assert_meta_error(response, 404, 132001)


async def test_templates_are_listed_per_waba_and_a_duplicate_is_refused(
    sandbox: httpx.AsyncClient,
) -> None:
    await create_template(sandbox, components=[{"type": "BODY", "text": "Ciao {{1}}!"}])
    duplicate = await sandbox.post(
        TEMPLATES, json={"name": "new_offer", "language": "it", "category": "UTILITY"}, headers=AUTH
    )
    assert_meta_error(duplicate, 400, 100)

    listed = (await sandbox.get(TEMPLATES, headers=AUTH)).json()["data"]
    assert [(t["name"], t["language"], t["category"]) for t in listed] == [
        ("new_offer", "it", "MARKETING")
    ]
    unauthorised = await sandbox.get(TEMPLATES, headers={"Authorization": "Bearer nope"})
    assert_meta_error(unauthorised, 401, 190)


async def test_above_the_numbers_rate_is_130429_over_http(sandbox: httpx.AsyncClient) -> None:
    await rules(sandbox, number_rate_per_second=1)

    first = await sandbox.post(SEND, json=text_body("393470001100"), headers=AUTH)
    second = await sandbox.post(SEND, json=text_body("393470001101"), headers=AUTH)

    assert first.status_code == 200
    assert_meta_error(second, 429, 130429)
    assert [r["code"] for r in await refusals(sandbox)] == [130429]


def send_at(meta: MetaRules, clock: float, to: str = "393470001150") -> int | None:
    """One send through the rules at a given monotonic second; the refusal code, if any."""
    try:
        meta.check(
            phone_number_id=PHONE_ID,
            waba_id=DEFAULT_WABA_ID,
            to=to,
            message_type="text",
            template=None,
            now=datetime.now(UTC),
            clock=clock,
        )
    except GraphError as error:
        return error.code
    meta.note_sent(PHONE_ID, to, clock)
    return None


def test_the_throughput_counts_accepted_sends_in_a_sliding_second() -> None:
    meta = MetaRules(number_rate_per_second=3)
    codes = [send_at(meta, 100.0 + i * 0.1, to=f"39347000{i:04d}") for i in range(5)]
    assert codes == [None, None, None, 130429, 130429]
    assert send_at(meta, 101.05, to="393470009999") is None, "the first send left the second"


def test_the_pair_rate_frees_the_customer_after_the_interval() -> None:
    meta = MetaRules(pair_interval_seconds=6)
    assert [send_at(meta, t) for t in (10.0, 15.9, 16.0)] == [None, 131056, None]


async def test_a_second_message_to_the_same_customer_within_the_pair_interval_is_131056(
    sandbox: httpx.AsyncClient,
) -> None:
    await rules(sandbox, pair_interval_seconds=6)

    first = await sandbox.post(SEND, json=text_body("393470001200"), headers=AUTH)
    second = await sandbox.post(SEND, json=text_body("393470001200"), headers=AUTH)
    other = await sandbox.post(SEND, json=text_body("393470001201"), headers=AUTH)

    assert first.status_code == 200
    assert_meta_error(second, 400, 131056)
    assert other.status_code == 200, "the pair rate is per customer"
    assert len(await messages_to(sandbox, "393470001200")) == 1


async def test_a_rate_limit_can_be_cleared_again(sandbox: httpx.AsyncClient) -> None:
    await rules(sandbox, pair_interval_seconds=6)
    await rules(sandbox, clear=["pair_interval_seconds"])

    for _ in range(2):
        response = await sandbox.post(SEND, json=text_body("393470001300"), headers=AUTH)
        assert response.status_code == 200
