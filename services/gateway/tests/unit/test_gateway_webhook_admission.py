"""Webhook admission: past the in-flight limit a POST is refused at once with 503 and
Retry-After, without reaching the app; other paths and methods are never counted."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from bancone_gateway.entrypoints.loop_lag import LoopLag
from bancone_gateway.entrypoints.webhook_admission import WebhookAdmission
from bancone_kit.http.problems import problem_response

pytestmark = pytest.mark.unit


class HeldApp:
    """Answers 200 once `release` is set; counts the requests that reached it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.reached = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def test_past_the_limit_a_webhook_is_refused_at_once_and_later_ones_pass() -> None:
    inner = HeldApp()
    admission = WebhookAdmission(inner, path="/webhooks/whatsapp", limit=2, retry_after=2)
    transport = httpx.ASGITransport(app=admission)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        held: list[asyncio.Task[Any]] = [
            asyncio.create_task(client.post("/webhooks/whatsapp", content=b"{}")) for _ in range(2)
        ]
        while inner.reached < 2:
            await asyncio.sleep(0)

        refused = await client.post("/webhooks/whatsapp", content=b"{}")
        elsewhere = asyncio.create_task(client.get("/webhooks/whatsapp"))
        while inner.reached < 3:
            await asyncio.sleep(0)
        inner.release.set()
        answers = await asyncio.gather(*held, elsewhere)
        after = await client.post("/webhooks/whatsapp", content=b"{}")

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["content-type"] == "application/problem+json"
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert after.status_code == 200
    assert inner.reached == 4  # the refused one never reached the app
    assert admission.in_flight == 0


class _Late(LoopLag):
    """A loop reported `late` seconds behind."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late

    @property
    def seconds(self) -> float:
        return self.late


async def test_while_the_loop_runs_late_a_webhook_is_refused_and_other_paths_pass() -> None:
    inner = HeldApp()
    inner.release.set()
    lag = _Late(0.8)
    admission = WebhookAdmission(
        inner, path="/webhooks/whatsapp", limit=10, retry_after=2, lag=lag, max_lag=0.5
    )
    transport = httpx.ASGITransport(app=admission)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        refused = await client.post("/webhooks/whatsapp", content=b"{}")
        elsewhere = await client.post("/v1/tenants/t/channels/x", content=b"{}")
        lag.late = 0.1
        caught_up = await client.post("/webhooks/whatsapp", content=b"{}")

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert "0.8s behind" in refused.json()["detail"]
    assert elsewhere.status_code == 200
    assert caught_up.status_code == 200
    assert inner.reached == 2


async def test_the_rendered_refusal_is_the_problem_response_it_replaces() -> None:
    """The 503 is rendered once and reused; its bytes are those `problem_response` gives."""
    inner = HeldApp()
    inner.release.set()
    admission = WebhookAdmission(inner, path="/webhooks/whatsapp", limit=0, retry_after=2)
    transport = httpx.ASGITransport(app=admission)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        first = await client.post("/webhooks/whatsapp", content=b"{}")
        second = await client.post("/webhooks/whatsapp", content=b"{}")
    expected = problem_response(
        503,
        "Overloaded",
        "0 webhooks in flight; retry later",
        instance="/webhooks/whatsapp",
        headers={"Retry-After": "2"},
    )

    assert first.content == second.content == bytes(expected.body)
    assert first.headers["content-length"] == expected.headers["content-length"]
    assert first.headers["content-type"] == expected.headers["content-type"]
    assert first.headers["retry-after"] == "2"
    assert inner.reached == 0
