"""The gateway's signed invoice links as the agent asks for them: a service token for the
tenant and the callee `gateway`, transient failures retried, refusals not."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from bancone_agent.adapters.invoice_links import GatewayInvoiceLinks
from bancone_agent.domain.order_updates import InvoiceLinkUnavailableError
from bancone_kit.auth.service_tokens import ServiceTokenClient
from bancone_kit.messaging.retry import RetryPolicy
from services.agent.tests.support.orders import FakeGatewayLinks

pytestmark = pytest.mark.unit

GATEWAY = "http://gateway.test"


def _links(gateway: FakeGatewayLinks, attempts: int = 3) -> GatewayInvoiceLinks:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.app()))
    tokens = ServiceTokenClient(GATEWAY, "agent", SecretStr("s"), client=client)
    retry = RetryPolicy(attempts=attempts, initial_delay=0, max_delay=0, jitter=0)
    return GatewayInvoiceLinks(GATEWAY, client, tokens, retry=retry)


async def test_a_link_is_minted_for_the_tenant_and_order_with_a_gateway_token() -> None:
    gateway = FakeGatewayLinks()
    url = await _links(gateway).invoice_link("shop-a", "order-1")
    assert url == "https://shop.example/l/shop-a.order-1.sig"
    assert gateway.minted == [("shop-a", "invoice", "order-1")]
    assert gateway.refused == 0


async def test_a_gateway_hiccup_is_retried() -> None:
    gateway = FakeGatewayLinks(fail_next=2)
    url = await _links(gateway, attempts=3).invoice_link("shop-a", "order-1")
    assert url.endswith("order-1.sig")
    assert gateway.requests == 3


async def test_a_gateway_still_down_after_the_attempts_is_unavailable() -> None:
    gateway = FakeGatewayLinks(down={"shop-a"})
    with pytest.raises(InvoiceLinkUnavailableError, match="503"):
        await _links(gateway, attempts=2).invoice_link("shop-a", "order-1")
    assert gateway.requests == 2
    assert gateway.minted == []


async def test_a_refusal_is_not_retried() -> None:
    gateway = FakeGatewayLinks(refuse={"shop-a"})
    with pytest.raises(InvoiceLinkUnavailableError, match="404"):
        await _links(gateway, attempts=3).invoice_link("shop-a", "order-1")
    assert gateway.requests == 1
