"""The sandbox under test: a fake gateway that records status webhooks, the app wired to it,
and the helpers the sandbox's test modules share (imported as `tools.sandbox.tests.support`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from bancone_sandbox import ChannelConfig, SandboxSettings, create_app

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
