"""The sandbox payment provider: links idempotent per (tenant, reference), a pay page, one
signed `paid` callback per link, retried on failure with every attempt recorded."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from bancone_sandbox import SandboxSettings, create_app
from tools.sandbox.tests.support import eventually

pytestmark = pytest.mark.unit

KEY = {"Authorization": "Bearer sandbox-payments-key"}
SECRET = b"sandbox-payments-secret"
CALLBACK = "http://catalog.test/v1/payments/sandbox/callback"


@dataclass
class FakeCatalog:
    """Receives callbacks; refuses the first `failures` of them with 503."""

    failures: int = 0
    latency: float = 0.0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/payments/sandbox/callback")
        async def callback(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            if self.latency:
                await asyncio.sleep(self.latency)  # a slow receiver: other payments run meanwhile
            if self.failures > 0:
                self.failures -= 1
                return Response(status_code=503)
            return Response(status_code=204)

        return app


@dataclass
class Provider:
    client: httpx.AsyncClient
    catalog: FakeCatalog


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    catalog = FakeCatalog()
    callbacks = httpx.AsyncClient(transport=httpx.ASGITransport(app=catalog.app()))
    settings = SandboxSettings(payments_callback_attempts=4, payments_callback_backoff_seconds=0.0)
    app = create_app(settings, webhook_client=callbacks)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")
    async with client, callbacks:
        yield Provider(client, catalog)


def link_body(reference: str = "ord-1", tenant_id: str = "demo", **extra: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "tenant_id": tenant_id,
        "amount": "79.80",
        "currency": "EUR",
        "description": "Order 2026-000001 <Enoteca>",
        "callback_url": CALLBACK,
        **extra,
    }


def verified(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The notice, after checking the signature the way a receiver must."""
    parts = dict(p.split("=", 1) for p in headers["x-sandbox-signature"].split(","))
    expected = hmac.new(SECRET, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    notice: dict[str, Any] = json.loads(body)
    return notice


async def links(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/payments/v1/links", params=params)
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_link_needs_the_api_key(provider: Provider) -> None:
    missing = await provider.client.post("/payments/v1/links", json=link_body())
    wrong = await provider.client.post(
        "/payments/v1/links", json=link_body(), headers={"Authorization": "Bearer nope"}
    )

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert await links(provider.client) == []


async def test_the_same_tenant_and_reference_get_the_same_link(provider: Provider) -> None:
    first = await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)
    again = await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)
    other_tenant = await provider.client.post(
        "/payments/v1/links", json=link_body(tenant_id="rival"), headers=KEY
    )

    assert (first.status_code, again.status_code, other_tenant.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"]
    assert other_tenant.json()["id"] != first.json()["id"]
    assert first.json()["url"] == f"http://sandbox/payments/pay/{first.json()['id']}"
    assert len(await links(provider.client)) == 2


async def test_a_reference_with_another_amount_is_refused(provider: Provider) -> None:
    await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)

    changed = await provider.client.post(
        "/payments/v1/links", json=link_body(amount="10.00"), headers=KEY
    )

    assert changed.status_code == 409
    assert [link["amount"] for link in await links(provider.client)] == ["79.80"]


async def test_bad_amounts_are_refused(provider: Provider) -> None:
    for amount in ("0", "-1.00", "1.234", "abc"):
        response = await provider.client.post(
            "/payments/v1/links", json=link_body(amount=amount), headers=KEY
        )
        assert response.status_code == 422, amount


async def test_the_pay_page_shows_amount_and_escapes_the_description(provider: Provider) -> None:
    link = (await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)).json()

    page = await provider.client.get(f"/payments/pay/{link['id']}")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "79.80 EUR" in page.text
    assert "&lt;Enoteca&gt;" in page.text
    assert "<Enoteca>" not in page.text
    assert f"action='/payments/pay/{link['id']}'" in page.text
    assert (await provider.client.get("/payments/pay/pl_unknown")).status_code == 404


async def test_paying_sends_one_signed_paid_notice(provider: Provider) -> None:
    link = (await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)).json()

    paid = await provider.client.post(f"/payments/pay/{link['id']}")

    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    [(headers, body)] = provider.catalog.received
    notice = verified(headers, body)
    assert notice == {
        "event_id": paid.json()["event_id"],
        "link_id": link["id"],
        "reference": "ord-1",
        "tenant_id": "demo",
        "status": "paid",
        "amount": "79.80",
        "currency": "EUR",
        "paid_at": notice["paid_at"],
    }
    assert notice["event_id"].startswith("evt_")
    [record] = await links(provider.client)
    assert record["status"] == "paid"
    assert record["callback_delivered"] is True
    assert [a["status_code"] for a in record["attempts"]] == [204]


async def test_paying_twice_sends_no_second_notice(provider: Provider) -> None:
    link = (await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)).json()

    first = await provider.client.post(f"/payments/pay/{link['id']}")
    second = await provider.client.post(f"/payments/pay/{link['id']}")

    assert second.status_code == 200
    assert second.json() == first.json()
    assert len(provider.catalog.received) == 1
    page = await provider.client.get(f"/payments/pay/{link['id']}")
    assert "Already paid" in page.text
    assert "<form" not in page.text


async def test_concurrent_payments_of_one_link_send_one_notice(provider: Provider) -> None:
    provider.catalog.latency = 0.05
    link = (await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)).json()

    answers = await asyncio.gather(
        *(provider.client.post(f"/payments/pay/{link['id']}") for _ in range(5))
    )

    assert {a.json()["event_id"] for a in answers} == {answers[0].json()["event_id"]}
    assert len(provider.catalog.received) == 1


async def test_a_refused_callback_is_retried_with_the_same_event(provider: Provider) -> None:
    provider.catalog.failures = 2
    link = (await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)).json()

    await provider.client.post(f"/payments/pay/{link['id']}")

    async def delivered() -> bool:
        return bool((await links(provider.client))[0]["callback_delivered"])

    await eventually(delivered)
    [record] = await links(provider.client)
    assert [a["status_code"] for a in record["attempts"]] == [503, 503, 204]
    events = {verified(headers, body)["event_id"] for headers, body in provider.catalog.received}
    assert events == {record["event_id"]}


async def test_retries_stop_after_the_configured_attempts(provider: Provider) -> None:
    provider.catalog.failures = 100
    link = (await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)).json()

    await provider.client.post(f"/payments/pay/{link['id']}")

    async def four_tries() -> bool:
        return len((await links(provider.client))[0]["attempts"]) == 4

    await eventually(four_tries)
    [record] = await links(provider.client)
    assert record["callback_delivered"] is False
    assert len(provider.catalog.received) == 4


async def test_an_unreachable_callback_is_recorded_as_an_error() -> None:
    settings = SandboxSettings(payments_callback_attempts=1)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        body = link_body(callback_url="http://127.0.0.1:9/callback")
        link = (await client.post("/payments/v1/links", json=body, headers=KEY)).json()

        paid = await client.post(f"/payments/pay/{link['id']}")

        assert paid.json()["status"] == "paid"
        [record] = await links(client)
        [attempt] = record["attempts"]
        assert attempt["status_code"] is None
        assert attempt["error"] == "ConnectError"


async def test_a_browser_gets_a_receipt_page(provider: Provider) -> None:
    link = (await provider.client.post("/payments/v1/links", json=link_body(), headers=KEY)).json()

    paid = await provider.client.post(
        f"/payments/pay/{link['id']}", headers={"Accept": "text/html"}
    )

    assert paid.headers["content-type"].startswith("text/html")
    assert "Paid" in paid.text
    assert len(provider.catalog.received) == 1
