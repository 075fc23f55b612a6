"""What the webhook's raw ASGI path (served outside the generic middleware stack) keeps of
the stack: the request id (echoed, and in problem bodies), the sender's trace carried into
the published events, and the `bancone_http_*` series under the route's template."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bancone_contracts.topics import INBOUND
from bancone_gateway.domain.signature import sign
from services.gateway.tests.support_webhook import PATH, Channel, events_of, provision

pytestmark = pytest.mark.service

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> AsyncIterator[Any]:
    async with make_gateway() as running:
        yield running


@pytest.fixture
async def channel(gateway: Any, unique: Callable[[str], str]) -> Channel:
    return await provision(gateway, unique("shop"), unique("pn"))


async def test_the_request_id_is_echoed_and_named_in_a_problem(
    gateway: Any, channel: Channel, wa: Any
) -> None:
    body = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[wa.text("39", "x")])))
    headers = {"X-Request-ID": "meta-delivery-17", "X-Hub-Signature-256": sign(body, "wrong")}

    refused = await gateway.client.post(PATH, content=body, headers=headers)
    fresh = await gateway.client.post(
        PATH, content=body, headers={"X-Hub-Signature-256": sign(body, channel.app_secret)}
    )

    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["x-request-id"] == "meta-delivery-17"
    problem = refused.json()
    assert problem["title"] == "Invalid webhook signature"
    assert problem["instance"] == PATH
    assert problem["request_id"] == "meta-delivery-17"
    assert fresh.status_code == 200
    assert fresh.headers["content-type"] == "application/json"
    assert len(fresh.headers["x-request-id"]) == 32  # made up when none was sent
    assert fresh.json() == {"status": "accepted", "published": 1, "duplicates": 0, "rejected": 0}


async def test_the_senders_trace_reaches_the_published_event(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any
) -> None:
    inbound = await topic_window(INBOUND)
    body = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[wa.text("39", "y")])))
    headers = {"X-Hub-Signature-256": sign(body, channel.app_secret), "traceparent": TRACEPARENT}

    response = await gateway.client.post(PATH, content=body, headers=headers)

    assert response.status_code == 200, response.text
    [event] = events_of(await inbound.read(), INBOUND, channel.tenant_id)
    assert event.traceparent is not None
    assert event.traceparent.split("-")[1] == TRACE_ID


async def test_webhook_posts_are_counted_under_the_route_template(
    gateway: Any, channel: Channel, wa: Any
) -> None:
    body = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[wa.text("39", "z")])))
    series = 'bancone_http_requests_total{method="POST",route="/webhooks/whatsapp",status="200"}'

    def count(text: str) -> float:
        line = next((ln for ln in text.splitlines() if ln.startswith(series)), None)
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    before = count((await gateway.client.get("/metrics")).text)
    await gateway.client.post(
        PATH, content=body, headers={"X-Hub-Signature-256": sign(body, channel.app_secret)}
    )
    after = count((await gateway.client.get("/metrics")).text)

    assert after == before + 1
