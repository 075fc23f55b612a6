"""The selling API over the real app: products with variants, quotes, placing (201, then 200
on retry), problems, transitions and their guards, the payment callback (signature, unknown
order, mismatch, dedupe), the invoice PDF, and another tenant's 404s.

The payment provider here is a small HMAC one of the test's own (the real ones are external
services; the sandbox adapter has its own tests)."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_catalog.domain.payments import (
    InvalidPaymentCallbackError,
    PaymentLink,
    PaymentNotice,
    PaymentProviderError,
    PaymentRequest,
)
from bancone_catalog.entrypoints.http import build_http_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.db import session_factory
from bancone_kit.testing.tokens import TenantBearer, TokenSigner, bearer

pytestmark = pytest.mark.service

SIGNER = TokenSigner()
ADMIN = bearer(SIGNER.operator("shop-a", "admin"))
AGENT = bearer(SIGNER.service("shop-a", "catalog"))
SECRET = b"test-secret"
BASE = "/v1/tenants/shop-a"
WINE = {
    "sku": "BAR",
    "name": "Barolo",
    "category": "vino-rosso",
    "price": "39.90",
    "variants": [
        {"sku": "BAR-75", "label": "75 cl", "attributes": {"size": "75 cl"}, "stock": 3},
        {"sku": "BAR-150", "label": "Magnum", "price": "89.00", "stock": 1},
    ],
}


class HmacProvider:
    """Pay-by-link for tests: links are `https://pay.test/<order>`, callbacks carry
    `X-Test-Signature: hex(HMAC-SHA256(secret, body))`."""

    name = "test"

    def __init__(self) -> None:
        self.requests: list[PaymentRequest] = []
        self.down = False

    async def create_link(self, request: PaymentRequest) -> PaymentLink:
        if self.down:
            raise PaymentProviderError("provider down")
        self.requests.append(request)
        url = f"https://pay.test/{request.order_id}"
        return PaymentLink(provider=self.name, link_id=f"pl_{request.order_id}", url=url)

    def read_callback(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("x-test-signature", ""), expected):
            raise InvalidPaymentCallbackError("bad signature")
        data = json.loads(body)
        return PaymentNotice(
            provider=self.name,
            event_id=data["event_id"],
            link_id=data["link_id"],
            tenant_id=data["tenant_id"],
            order_id=data["reference"],
            status=data["status"],
            amount=Decimal(data["amount"]),
            currency=data["currency"],
        )


def signed(payload: dict[str, Any], secret: bytes = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"X-Test-Signature": hmac.new(secret, body, hashlib.sha256).hexdigest()}


@pytest.fixture
def provider() -> HmacProvider:
    return HmacProvider()


@pytest.fixture
async def client(engine: AsyncEngine, provider: HmacProvider) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = SIGNER.install(build_http_app(CatalogSettings(), []), "catalog")
    app.state.session_factory = session_factory(engine)
    app.state.payments = {provider.name: provider}
    app.state.public_url = "https://catalog.test"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://catalog", auth=TenantBearer(SIGNER, "viewer")
    ) as http:
        created = await http.post(f"{BASE}/products", json=WINE, headers=ADMIN)
        assert created.status_code == 201, created.text
        yield http


def placement(key: str = "wamid.1", **changes: Any) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "customer_id": "393331",
        "phone_number_id": "pn-1",
        "language": "it",
        "lines": [{"sku": "BAR-75", "quantity": 2, "expected_unit_price": "39.90"}],
        "fulfilment": {"method": "delivery", "name": "Giulia Rossi", "address": "Via Roma 1"},
        **changes,
    }


async def test_products_carry_their_variants(client: httpx.AsyncClient) -> None:
    found = (await client.get(f"{BASE}/products", params={"q": "barolo"})).json()["items"]

    variants = found[0]["variants"]
    assert [(v["sku"], v["label"], v["price"], v["stock"]) for v in variants] == [
        ("BAR-75", "75 cl", "39.90", 3),
        ("BAR-150", "Magnum", "89.00", 1),
    ]
    taken = {**WINE, "sku": "OTHER", "variants": [{"sku": "BAR-75", "label": "x"}]}
    clash = await client.post(f"{BASE}/products", json=taken, headers=ADMIN)
    as_product = await client.post(
        f"{BASE}/products", json={**WINE, "sku": "BAR-150", "variants": []}, headers=ADMIN
    )
    assert (clash.status_code, as_product.status_code) == (409, 409)


async def test_quote_then_place_then_retry(
    client: httpx.AsyncClient, provider: HmacProvider
) -> None:
    quote = await client.post(
        f"{BASE}/carts/quote",
        json={"lines": [{"sku": "BAR-75", "quantity": 2}, {"sku": "NOPE", "quantity": 1}]},
        headers=AGENT,
    )
    placed = await client.post(f"{BASE}/orders", json=placement(), headers=AGENT)
    again = await client.post(f"{BASE}/orders", json=placement(), headers=AGENT)

    assert quote.status_code == 200
    assert quote.json()["total"] == "79.80"
    assert [line["problem"] for line in quote.json()["lines"]] == [None, "unknown_sku"]
    assert quote.json()["ok"] is False
    assert (placed.status_code, again.status_code) == (201, 200)
    order = placed.json()
    assert again.json()["order_id"] == order["order_id"]
    assert order["payment_url"] == f"https://pay.test/{order['order_id']}"
    assert order["total"] == {"amount": "79.80", "currency": "EUR"}
    assert order["lines"][0]["variant"] == "75 cl"
    assert provider.requests[0].callback_url == "https://catalog.test/v1/payments/test/callback"
    assert provider.requests[0].amount == Decimal("79.80")


async def test_problems_name_what_is_wrong(client: httpx.AsyncClient) -> None:
    sold_out = await client.post(
        f"{BASE}/orders",
        json=placement(lines=[{"sku": "BAR-150", "quantity": 2}]),
        headers=AGENT,
    )
    price_changed = await client.post(
        f"{BASE}/orders",
        json=placement(lines=[{"sku": "BAR-75", "quantity": 1, "expected_unit_price": "30"}]),
        headers=AGENT,
    )
    unknown = await client.post(
        f"{BASE}/orders", json=placement(lines=[{"sku": "NOPE", "quantity": 1}]), headers=AGENT
    )
    zero = await client.post(
        f"{BASE}/orders", json=placement(lines=[{"sku": "BAR-75", "quantity": 0}]), headers=AGENT
    )
    no_address = await client.post(
        f"{BASE}/orders",
        json=placement(fulfilment={"method": "delivery", "name": "Giulia"}),
        headers=AGENT,
    )

    assert sold_out.status_code == 409
    assert sold_out.json()["code"] == "sold_out"
    assert sold_out.json()["lines"] == [{"sku": "BAR-150", "requested": 2, "available": 1}]
    assert price_changed.status_code == 409
    assert price_changed.json()["code"] == "price_changed"
    assert price_changed.json()["lines"][0]["unit_price"] == "39.90"
    assert (unknown.status_code, unknown.json()["code"]) == (422, "order_rejected")
    assert (zero.status_code, no_address.status_code) == (422, 422)
    assert (await client.get(f"{BASE}/orders")).json() == {"items": []}


async def test_payment_callback_pays_once_and_the_invoice_is_served(
    client: httpx.AsyncClient,
) -> None:
    settings = {"legal_name": "Enoteca Demo S.r.l.", "vat_id": "IT01234567890"}
    assert (
        await client.put(f"{BASE}/invoice-settings", json=settings, headers=ADMIN)
    ).status_code == 200
    order = (await client.post(f"{BASE}/orders", json=placement(), headers=AGENT)).json()
    pdf_url = f"{BASE}/orders/{order['order_id']}/invoice.pdf"
    assert (await client.get(pdf_url, headers=AGENT)).status_code == 404
    notice = {
        "event_id": "evt_1",
        "link_id": "pl_1",
        "reference": order["order_id"],
        "tenant_id": "shop-a",
        "status": "paid",
        "amount": "79.80",
        "currency": "EUR",
    }
    callback = "/v1/payments/test/callback"

    body, headers = signed(notice)
    _, forged_headers = signed(notice, secret=b"wrong")
    forged = await client.post(callback, content=body, headers=forged_headers)
    unknown = await client.post(
        callback,
        content=(s := signed({**notice, "reference": "00000000-0000-4000-8000-000000000000"}))[0],
        headers=s[1],
    )
    mismatch = await client.post(
        callback, content=(m := signed({**notice, "amount": "1.00"}))[0], headers=m[1]
    )
    no_provider = await client.post("/v1/payments/nope/callback", content=b"{}")
    statuses_before = (await client.get(f"{BASE}/orders/{order['order_id']}")).json()["status"]
    first = await client.post(callback, content=body, headers=headers)
    repeat = await client.post(callback, content=body, headers=headers)

    assert [r.status_code for r in (forged, unknown, mismatch, no_provider)] == [401, 404, 409, 404]
    assert statuses_before == "pending"
    assert (first.status_code, repeat.status_code) == (204, 204)
    paid = (await client.get(f"{BASE}/orders/{order['order_id']}")).json()
    assert paid["status"] == "paid"
    pdf = await client.get(pdf_url, headers=AGENT)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Enoteca Demo S.r.l." in text
    assert paid["invoice"]["number"] in text


async def test_operators_move_orders_and_other_tenants_see_nothing(
    client: httpx.AsyncClient,
) -> None:
    order = (await client.post(f"{BASE}/orders", json=placement(), headers=AGENT)).json()
    path = f"{BASE}/orders/{order['order_id']}"
    operator = bearer(SIGNER.operator("shop-a", "agent"))

    as_viewer = await client.post(f"{path}/transitions", json={"to": "confirmed"})
    invalid = await client.post(f"{path}/transitions", json={"to": "shipped"}, headers=operator)
    confirmed = await client.post(f"{path}/transitions", json={"to": "confirmed"}, headers=operator)

    assert as_viewer.status_code == 403
    assert (invalid.status_code, invalid.json().get("code")) == (409, "invalid_transition"), (
        invalid.json()
    )
    assert confirmed.json()["status"] == "confirmed"

    other = f"/v1/tenants/shop-b/orders/{order['order_id']}"
    other_operator = bearer(SIGNER.operator("shop-b", "owner"))
    assert (await client.get(other)).status_code == 404
    assert (await client.get(f"{other}/invoice.pdf")).status_code == 404
    moved = await client.post(
        f"{other}/transitions", json={"to": "cancelled"}, headers=other_operator
    )
    assert moved.status_code == 404
    assert (
        await client.get(path, headers=bearer(SIGNER.service("shop-b", "catalog")))
    ).status_code == 404
    by_number = f"{BASE}/orders/by-number/{order['number']}"
    assert (await client.get(by_number, params={"customer_id": "393331"})).status_code == 200
    assert (await client.get(by_number, params={"customer_id": "393999"})).status_code == 404
    assert (await client.get(path)).json()["status"] == "confirmed"


async def test_a_provider_failure_leaves_a_pending_order_to_retry(
    client: httpx.AsyncClient, provider: HmacProvider
) -> None:
    provider.down = True
    order = (await client.post(f"{BASE}/orders", json=placement(), headers=AGENT)).json()
    failed = await client.post(f"{BASE}/orders/{order['order_id']}/payment-link", headers=AGENT)
    provider.down = False
    retried = await client.post(f"{BASE}/orders/{order['order_id']}/payment-link", headers=AGENT)

    assert (order["status"], order["payment_url"]) == ("pending", None)
    assert failed.status_code == 502
    assert retried.json()["payment_url"] == f"https://pay.test/{order['order_id']}"


async def test_invoice_settings_have_defaults_and_need_an_admin(client: httpx.AsyncClient) -> None:
    defaults = await client.get(f"{BASE}/invoice-settings", headers=ADMIN)
    as_viewer = await client.put(f"{BASE}/invoice-settings", json={"legal_name": "X"})

    assert defaults.json()["vat_rate"] == "22.00"
    assert (defaults.json()["reservation_minutes"], defaults.json()["max_line_quantity"]) == (
        30,
        20,
    )
    assert as_viewer.status_code == 403


async def test_a_csv_import_carries_variants(client: httpx.AsyncClient) -> None:
    csv = (
        "sku,name,category,price,stock,parent_sku,variant_label,attr.size\n"
        "OLIO,Olio EVO,olio,12.50,,,,\n"
        "OLIO-05,,,,4,OLIO,0.5 l,0.5 l\n"
        "OLIO-1,,,21.00,2,OLIO,1 l,1 l\n"
    )
    imported = await client.post(
        f"{BASE}/import",
        params={"kind": "product"},
        content=csv,
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    quote = await client.post(
        f"{BASE}/carts/quote", json={"lines": [{"sku": "OLIO-1", "quantity": 2}]}, headers=AGENT
    )

    assert imported.status_code == 200, imported.text
    found = (await client.get(f"{BASE}/products", params={"q": "olio"})).json()["items"]
    assert [(v["sku"], v["price"], v["stock"]) for v in found[0]["variants"]] == [
        ("OLIO-05", "12.50", 4),
        ("OLIO-1", "21.00", 2),
    ]
    line = quote.json()["lines"][0]
    assert (line["name"], line["variant"], line["line_total"]) == ("Olio EVO", "1 l", "42.00")
