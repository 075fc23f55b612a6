"""A customer orders two bottles in the chat, confirms with a button, pays through the sandbox
payment provider and opens the invoice link — through all five services as processes, on
real Kafka and PostgreSQL (issue 12's "done when")."""

from __future__ import annotations

import asyncio
import io
import re
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka import AIOKafkaConsumer
from pypdf import PdfReader

from bancone_cli.webhooks import build_message_webhook, button_reply
from bancone_contracts.events import OrderChanged
from bancone_contracts.topics import ORDER

if TYPE_CHECKING:
    from conftest import Platform, Tenant

pytestmark = pytest.mark.e2e

BAROLO_SKU = "rosso-barolo-2019"
PAY_URL = re.compile(r"https?://\S+/payments/pay/\S+?(?=[\s).,]|$)")
LINK_URL = re.compile(r"https?://\S+/l/[A-Za-z0-9._~-]+")


def buttons_of(message: dict[str, Any]) -> list[tuple[str, str]]:
    """The reply buttons of an interactive message the sandbox received, as (id, title)."""
    body = message.get("body", {})
    if body.get("type") != "interactive":
        return []
    action = body["interactive"].get("action", {})
    return [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]


async def wait_for(
    platform: Platform, wa_id: str, count: int, seconds: float = 60
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while True:
        got = await platform.sent_to(wa_id)
        if len(got) >= count or time.monotonic() > deadline:
            assert len(got) >= count, f"only {len(got)} of {count} messages: {got}"
            return got
        await asyncio.sleep(0.2)


async def product_by_sku(platform: Platform, tenant_id: str, sku: str) -> dict[str, Any]:
    r = await platform.http.get(
        f"{platform.url('catalog')}/v1/tenants/{tenant_id}/products",
        params={"q": "Barolo", "limit": 50},
        headers=platform.admin(tenant_id),
    )
    assert r.status_code == 200, r.text
    matches = [p for p in r.json()["items"] if p["sku"] == sku]
    assert matches, r.json()
    return matches[0]


async def order_events(platform: Platform, customer: str, want: int) -> list[OrderChanged]:
    """The `bancone.order.v1` events about `customer`, read from the start of the topic."""
    consumer = AIOKafkaConsumer(
        ORDER,
        bootstrap_servers=platform.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[OrderChanged] = []
    try:
        deadline = time.monotonic() + 30
        while len(found) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    event = OrderChanged.model_validate_json(record.value or b"")
                    if event.data.order.customer_id == customer:
                        found.append(event)
    finally:
        await consumer.stop()
    return found


async def tap(platform: Platform, tenant: Tenant, customer: str, button: tuple[str, str]) -> None:
    payload = build_message_webhook(tenant.phone_number_id, customer, button_reply(*button))
    r = await platform.post_webhook(tenant, payload)
    assert r.status_code == 200, r.text


async def test_a_customer_orders_two_bottles_pays_and_opens_the_invoice(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    stock_before = (await product_by_sku(platform, "demo", BAROLO_SKU))["stock"]

    script = ("Avete il Barolo 2019?", "ne prendo due", "ritiro in negozio", "Giulia Rossi")
    for count, text in enumerate(script, start=1):
        await platform.say(demo, customer, text)
        await wait_for(platform, customer, count)
    messages = await wait_for(platform, customer, len(script))
    summary = messages[-1]
    confirm = [b for b in buttons_of(summary) if b[0].startswith("order:confirm")]
    assert confirm, summary
    summary_text = summary["body"]["interactive"]["body"]["text"]
    assert "84,00" in summary_text, summary_text

    await tap(platform, demo, customer, confirm[0])
    placed = (await wait_for(platform, customer, len(script) + 1))[-1]
    placed_text = placed["body"]["text"]["body"]
    number = re.search(r"A-\d+", placed_text)
    assert number, placed_text
    order_number = number.group(0)
    pay_url = PAY_URL.search(placed_text)
    assert pay_url, placed_text

    # The customer pays on the provider's page (the sandbox's "Pay" button posts the form).
    r = await platform.http.post(pay_url.group(0))
    assert r.status_code == 200, r.text

    paid = (await wait_for(platform, customer, len(script) + 2))[-1]
    paid_text = paid["body"]["text"]["body"]
    link = LINK_URL.search(paid_text)
    assert link, paid_text
    pdf = await platform.http.get(link.group(0))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Barolo" in text, text
    assert "Enoteca Bancone S.r.l. (demo)" in text, text
    assert "IT00000000000" in text, text
    assert f"Ordine: {order_number}" in text, text
    assert "84,00 EUR" in text, text

    tampered = link.group(0)[:-2] + ("A" if link.group(0)[-2] != "A" else "B") + link.group(0)[-1]
    r = await platform.http.get(tampered)
    assert r.status_code == 404
    assert not r.content.startswith(b"%PDF")

    assert (await product_by_sku(platform, "demo", BAROLO_SKU))["stock"] == stock_before - 2

    events = await order_events(platform, customer, want=2)
    transitions = [e.data.transition for e in events]
    assert transitions[:2] == ["placed", "paid"], transitions
    order = events[-1].data.order
    assert order.total.amount == Decimal("84.00")
    assert [(line.sku, line.quantity) for line in order.lines] == [(BAROLO_SKU, 2)]
    assert order.invoice is not None

    # The shop ships it; the customer is told the tracking code, and can ask where it is.
    r = await platform.http.post(
        f"{platform.url('catalog')}/v1/tenants/demo/orders/{order.order_id}/transitions",
        json={"to": "shipped", "tracking_code": "BRT-0042"},
        headers=platform.admin("demo"),
    )
    assert r.status_code == 200, r.text
    shipped = (await wait_for(platform, customer, len(script) + 3))[-1]
    assert "BRT-0042" in shipped["body"]["text"]["body"], shipped
    await platform.say(demo, customer, "dov'è il mio ordine?")
    status = (await wait_for(platform, customer, len(script) + 4))[-1]
    status_text = status["body"]["text"]["body"]
    assert order.number in status_text, status_text
    assert "BRT-0042" in status_text, status_text

    # exactly once: no duplicate reply, no second "paid" or "shipped" message
    transcript = await platform.settle(customer, seconds=4)
    assert len(transcript) == len(script) + 4
    print("\n--- transcript ---")
    said = [*script, f"[tap] {confirm[0][1]}", "[pays]", "[shop ships]", "dov'è il mio ordine?"]
    for customer_text, reply in zip(said, transcript, strict=True):
        print(f"> {customer_text}\n< {reply}")
