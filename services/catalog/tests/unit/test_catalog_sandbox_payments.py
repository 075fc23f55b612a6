"""The sandbox payment adapter: only a callback signed with our secret, over these exact bytes,
within five minutes, becomes a `PaymentNotice`; link creation maps failures to one error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from bancone_catalog.adapters.sandbox_payments import SandboxPayments, sign
from bancone_catalog.domain.payments import (
    InvalidPaymentCallbackError,
    PaymentProviderError,
    PaymentRequest,
)

pytestmark = pytest.mark.unit

SECRET = "sandbox-payments-secret"
NOW = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)
BODY = json.dumps(
    {
        "event_id": "evt_1",
        "link_id": "pl_1",
        "reference": "ord-1",
        "tenant_id": "demo",
        "status": "paid",
        "amount": "79.80",
        "currency": "EUR",
        "paid_at": NOW.isoformat(),
    }
).encode()


def adapter(http: httpx.AsyncClient | None = None, *, now: datetime = NOW) -> SandboxPayments:
    return SandboxPayments(
        "http://sandbox.test/",
        "sandbox-payments-key",
        SECRET,
        http or httpx.AsyncClient(),
        clock=lambda: now,
    )


def signed(body: bytes = BODY, *, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    return {"X-Sandbox-Signature": sign(secret, body, int(at.timestamp()))}


def test_a_signed_fresh_callback_becomes_a_notice() -> None:
    notice = adapter().read_callback(BODY, signed())

    assert notice.provider == "sandbox"
    assert (notice.event_id, notice.link_id, notice.order_id) == ("evt_1", "pl_1", "ord-1")
    assert (notice.tenant_id, notice.status) == ("demo", "paid")
    assert (notice.amount, notice.currency) == (Decimal("79.80"), "EUR")


def test_the_header_name_is_case_insensitive() -> None:
    headers = {"x-sandbox-signature": signed()["X-Sandbox-Signature"]}

    assert adapter().read_callback(BODY, headers).event_id == "evt_1"


def test_a_tampered_body_is_refused() -> None:
    headers = signed()
    tampered = BODY.replace(b'"79.80"', b'"0.01"')

    with pytest.raises(InvalidPaymentCallbackError):
        adapter().read_callback(tampered, headers)


def test_another_secret_is_refused() -> None:
    with pytest.raises(InvalidPaymentCallbackError):
        adapter().read_callback(BODY, signed(secret="someone-elses-secret"))


def test_a_signature_older_than_five_minutes_is_refused() -> None:
    payments = adapter()
    fresh_enough = signed(at=NOW - timedelta(seconds=300))
    stale = signed(at=NOW - timedelta(seconds=301))

    assert payments.read_callback(BODY, fresh_enough).event_id == "evt_1"
    with pytest.raises(InvalidPaymentCallbackError):
        payments.read_callback(BODY, stale)


def test_a_signature_from_the_future_is_refused() -> None:
    with pytest.raises(InvalidPaymentCallbackError):
        adapter().read_callback(BODY, signed(at=NOW + timedelta(minutes=6)))


def test_a_moved_timestamp_breaks_the_signature() -> None:
    """The timestamp is signed: refreshing `t` on a captured callback does not replay it."""
    old = signed(at=NOW - timedelta(hours=1))["X-Sandbox-Signature"]
    moved = old.replace(
        f"t={int((NOW - timedelta(hours=1)).timestamp())}", f"t={int(NOW.timestamp())}"
    )

    with pytest.raises(InvalidPaymentCallbackError):
        adapter().read_callback(BODY, {"X-Sandbox-Signature": moved})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Sandbox-Signature": ""},
        {"X-Sandbox-Signature": "v1=abc"},
        {"X-Sandbox-Signature": "t=notanumber,v1=abc"},
        {"X-Sandbox-Signature": f"t={int(NOW.timestamp())}"},
        {"X-Sandbox-Signature": f"t={int(NOW.timestamp())},v1=é"},
    ],
    ids=["missing", "empty", "no-t", "bad-t", "no-v1", "non-ascii"],
)
def test_a_missing_or_malformed_header_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidPaymentCallbackError):
        adapter().read_callback(BODY, headers)


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"event_id": "evt_1"}', BODY.replace(b'"paid"', b'"teleported"')],
    ids=["not-json", "missing-fields", "unknown-status"],
)
def test_a_signed_but_malformed_notice_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidPaymentCallbackError):
        adapter().read_callback(body, signed(body))


REQUEST = PaymentRequest(
    tenant_id="demo",
    order_id="ord-1",
    order_number="2026-000001",
    amount=Decimal("79.80"),
    currency="EUR",
    description="Order 2026-000001",
    callback_url="http://catalog.test/v1/payments/sandbox/callback",
)


async def test_a_provider_timeout_is_a_provider_error() -> None:
    def hang(_: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow sandbox")

    async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as http:
        with pytest.raises(PaymentProviderError):
            await adapter(http).create_link(REQUEST)


@pytest.mark.parametrize("status", [401, 409, 500])
async def test_a_refusal_is_a_provider_error(status: int) -> None:
    def refuse(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": "no"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        with pytest.raises(PaymentProviderError):
            await adapter(http).create_link(REQUEST)


async def test_the_link_request_names_order_tenant_amount_and_key() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201, json={"id": "pl_1", "url": "http://sandbox.test/payments/pay/pl_1"}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        link = await adapter(http).create_link(REQUEST)

    assert (link.provider, link.link_id) == ("sandbox", "pl_1")
    [request] = seen
    assert str(request.url) == "http://sandbox.test/payments/v1/links"
    assert request.headers["authorization"] == "Bearer sandbox-payments-key"
    assert json.loads(request.content) == {
        "reference": "ord-1",
        "tenant_id": "demo",
        "amount": "79.80",
        "currency": "EUR",
        "description": "Order 2026-000001",
        "callback_url": "http://catalog.test/v1/payments/sandbox/callback",
    }
