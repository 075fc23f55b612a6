"""The adapter against the real sandbox provider over HTTP: it creates a link (the same one on a
retry), the customer pays, and the callback the sandbox sends verifies with the adapter."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from bancone_catalog.adapters.sandbox_payments import SandboxPayments
from bancone_catalog.domain.payments import (
    InvalidPaymentCallbackError,
    PaymentProviderError,
    PaymentRequest,
)
from bancone_sandbox import SandboxSettings
from bancone_sandbox.testing import running_sandbox, serving

pytestmark = pytest.mark.service

KEY, SECRET = "test-payments-key", "test-payments-secret"


@dataclass
class Receiver:
    """Stands where the catalog's callback route will be: keeps each raw body and headers."""

    url: str = ""
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/payments/sandbox/callback")
        async def callback(request: Request) -> Response:
            self.received.append((await request.body(), dict(request.headers)))
            return Response(status_code=204)

        return app


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with running_sandbox(SandboxSettings(payments_api_key=KEY, payments_secret=SECRET)) as url:
        yield url


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    with serving(found.app()) as url:
        found.url = url
        yield found


def order(receiver: Receiver, order_id: str) -> PaymentRequest:
    return PaymentRequest(
        tenant_id="demo",
        order_id=order_id,
        order_number="2026-000007",
        amount=Decimal("84.00"),
        currency="EUR",
        description="Enoteca Bancone, order 2026-000007",
        callback_url=f"{receiver.url}/v1/payments/sandbox/callback",
    )


async def test_link_pay_and_callback_round_trip(sandbox_url: str, receiver: Receiver) -> None:
    async with httpx.AsyncClient() as http:
        payments = SandboxPayments(sandbox_url, KEY, SECRET, http)
        link = await payments.create_link(order(receiver, "ord-round-trip"))
        again = await payments.create_link(order(receiver, "ord-round-trip"))
        assert again == link
        assert link.url == f"{sandbox_url}/payments/pay/{link.link_id}"

        page = await http.get(link.url)
        assert "84.00 EUR" in page.text
        paid = await http.post(link.url)
        assert paid.json()["status"] == "paid"

        deadline = time.monotonic() + 5
        while not receiver.received:
            assert time.monotonic() < deadline, "no callback arrived"
            await asyncio.sleep(0.02)
        [(body, headers)] = receiver.received

        notice = payments.read_callback(body, headers)
        assert (notice.order_id, notice.tenant_id, notice.link_id) == (
            "ord-round-trip",
            "demo",
            link.link_id,
        )
        assert (notice.status, notice.amount, notice.currency) == ("paid", Decimal("84.00"), "EUR")

        with pytest.raises(InvalidPaymentCallbackError):
            SandboxPayments(sandbox_url, KEY, "another-secret", http).read_callback(body, headers)


async def test_a_wrong_api_key_or_no_sandbox_is_a_provider_error(
    sandbox_url: str, receiver: Receiver
) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(PaymentProviderError):
            await SandboxPayments(sandbox_url, "wrong-key", SECRET, http).create_link(
                order(receiver, "ord-wrong-key")
            )
        with pytest.raises(PaymentProviderError):
            await SandboxPayments("http://127.0.0.1:9", KEY, SECRET, http).create_link(
                order(receiver, "ord-no-sandbox")
            )
