"""A campaign through the running platform: the owner's calls go to the gateway's origin, which
forwards `/campaigns` to the notifier (verifying the gateway's token there through its JWKS); a
customer who opted in on WhatsApp receives the template once, from the notifier's runner."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from conftest import Platform, Tenant

pytestmark = pytest.mark.e2e


async def _register_template(platform: Platform, tenant: Tenant, name: str) -> None:
    channels = (await platform.http.get(platform.url("sandbox") + "/sandbox/channels")).json()
    [channel] = [c for c in channels if c["phone_number_id"] == tenant.phone_number_id]
    response = await platform.http.post(
        platform.url("sandbox") + f"/v25.0/{channel['waba_id']}/message_templates",
        json={
            "name": name,
            "language": "it",
            "category": "MARKETING",
            "components": [
                {
                    "type": "BODY",
                    "text": "Ciao {{1}}, da noi -20% per Natale!",
                    "example": {"body_text": [["Giulia"]]},
                }
            ],
        },
        headers={"Authorization": f"Bearer {tenant.access_token}"},
    )
    response.raise_for_status()


async def _until(probe: Any, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = await probe()
        if found is not None or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


async def test_an_owner_sends_a_campaign_through_the_gateway_and_the_opted_in_customer_gets_it_once(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    template = f"e2e_offerta_{uuid.uuid4().hex[:8]}"
    await _register_template(platform, demo, template)
    url = platform.url("gateway") + f"/v1/tenants/{demo.tenant_id}/campaigns"
    body = {
        "name": "Natale e2e",
        "phone_number_id": demo.phone_number_id,
        "template": {
            "name": template,
            "language": "it",
            "category": "marketing",
            "variables": [{"field": "name", "fallback": "cliente"}],
            "placeholders": 1,
        },
        "segment": {"customers": [customer]},
        "send_now": True,
    }
    refused = await platform.http.post(url, json=body, headers=platform.admin())
    assert refused.status_code == 422, refused.text  # not opted in yet: an empty segment

    _, response = await platform.say(demo, customer, "ISCRIVIMI")
    assert response.status_code == 200, response.text

    async def created() -> httpx.Response | None:
        answer = await platform.http.post(url, json=body, headers=platform.admin())
        return answer if answer.status_code == 201 else None

    campaign = await _until(created)
    assert campaign is not None, "the opt-in reached the notifier's ledger"

    async def completed() -> dict[str, Any] | None:
        found = await platform.http.get(f"{url}/{campaign.json()['id']}", headers=platform.admin())
        report: dict[str, Any] = found.json()
        return report if report["state"] == "completed" else None

    report = await _until(completed)
    assert report is not None, "the campaign completed"
    assert report["counts"]["sent"] + report["counts"]["delivered"] + report["counts"]["read"] == 1
    await platform.settle(customer, seconds=3)
    sent = [m for m in await platform.sent_to(customer) if m["body"].get("type") == "template"]
    assert [m["body"]["template"]["name"] for m in sent] == [template]
    unauthenticated = await platform.http.get(url)
    assert unauthenticated.status_code == 401


async def test_a_campaign_across_a_notifier_killed_mid_send_reaches_everyone_once(
    platform: Platform,
) -> None:
    """Five customers opt in on WhatsApp; the sandbox records each campaign send and then holds
    its answer, and the notifier is SIGKILLed with two sends in flight (the e2e notifier sends
    two at a time). After the restart the other three are sent; the two whose answer was lost
    are reported "unknown" and never sent again: every customer has exactly one template."""
    demo, sandbox = platform.tenants["demo"], platform.url("sandbox")
    customers = sorted(f"39{uuid.uuid4().int % 10**10:010d}" for _ in range(5))
    for wa_id in customers:
        _, response = await platform.say(demo, wa_id, "ISCRIVIMI")
        assert response.status_code == 200, response.text

    async def confirmed() -> bool | None:  # the opt-in's confirmation: the ledger has it
        texts = [
            " ".join(
                str(m["body"].get("text", {}).get("body", "")) for m in await platform.sent_to(c)
            )
            for c in customers
        ]
        return all("riceverai di nuovo" in t for t in texts) or None

    assert await _until(confirmed), "every opt-in was confirmed"
    template = f"e2e_riavvio_{uuid.uuid4().hex[:8]}"
    await _register_template(platform, demo, template)

    def templates(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [m for m in messages if m["body"].get("type") == "template"]

    await platform.http.put(
        f"{sandbox}/sandbox/delay", json={"seconds": 60, "phase": "after_record"}
    )
    try:
        url = platform.url("gateway") + f"/v1/tenants/{demo.tenant_id}/campaigns"
        body = {
            "name": "Riavvio e2e",
            "phone_number_id": demo.phone_number_id,
            "template": {
                "name": template,
                "language": "it",
                "category": "marketing",
                "variables": [{"field": "name", "fallback": "cliente"}],
                "placeholders": 1,
            },
            "segment": {"customers": customers},
            "send_now": True,
        }
        created = await platform.http.post(url, json=body, headers=platform.admin())
        assert created.status_code == 201, created.text
        assert created.json()["audience"] == 5

        async def two_in_flight() -> bool | None:
            sent = [templates(await platform.sent_to(c)) for c in customers]
            return sum(len(s) for s in sent) >= 2 or None

        assert await _until(two_in_flight), "two sends reached the sandbox"
        platform.processes["notifier"].kill()
    finally:
        await platform.http.delete(f"{sandbox}/sandbox/delay")
    await platform.restart("notifier")

    async def completed() -> dict[str, Any] | None:
        found = await platform.http.get(f"{url}/{created.json()['id']}", headers=platform.admin())
        report: dict[str, Any] = found.json()
        return report if report["state"] == "completed" else None

    report = await _until(completed, seconds=120)
    assert report is not None, "the campaign completed after the restart"
    for wa_id in customers:
        await platform.settle(wa_id, seconds=2)
    per_customer = {c: len(templates(await platform.sent_to(c))) for c in customers}
    assert per_customer == dict.fromkeys(customers, 1), per_customer
    counts = report["counts"]
    assert counts["unknown"] == 2, report
    assert counts["sent"] + counts["delivered"] + counts["read"] == 3, report
    assert report["total"] == 5
