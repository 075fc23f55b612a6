"""Order events as the catalog publishes them, and a stand-in for the gateway's signed links.

`FakeGatewayLinks` is an HTTP app (run it with `shop_api.serve`, or on an ASGI transport) answering the two routes
the agent calls at the gateway: `POST /v1/auth/service-token` (a token naming tenant and
audience) and `POST /v1/internal/tenants/{t}/links` (refused unless the token is that
tenant's for the callee `gateway`), with the spec's request and answer shapes. Tenants in
`down` get 503, and so do the next `fail_next` link requests. Every link request is counted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bancone_contracts.common import Money
from bancone_contracts.events.order import (
    Fulfilment,
    Invoice,
    OrderChange,
    OrderChanged,
    OrderLine,
    OrderSnapshot,
    OrderStatus,
    OrderTransition,
)

PHONE_NUMBER_ID = "106540352242922"


def order_event(
    tenant_id: str,
    customer_id: str,
    transition: OrderTransition,
    status: OrderStatus,
    *,
    order_id: str | None = None,
    number: str = "A-1042",
    language: str | None = "it",
    invoice_number: str | None = None,
    tracking_code: str | None = None,
    payment_url: str | None = None,
) -> OrderChanged:
    """One change of a two-bottle order (79.80 EUR) as the catalog publishes it."""
    now = datetime.now(UTC)
    price = Money(amount=Decimal("39.90"), currency="EUR")
    return OrderChanged.new(
        tenant_id=tenant_id,
        source="catalog",
        data=OrderChange(
            transition=transition,
            previous_status=None if transition == "placed" else "pending",
            actor="operator" if transition in ("confirmed", "shipped") else "system",
            order=OrderSnapshot(
                order_id=order_id or str(uuid.uuid4()),
                number=number,
                customer_id=customer_id,
                phone_number_id=PHONE_NUMBER_ID,
                language=language,
                status=status,
                lines=(
                    OrderLine(
                        sku="BAR-2019",
                        name="Barolo DOCG 2019",
                        variant="75 cl",
                        quantity=2,
                        unit_price=price,
                        line_total=Money(amount=Decimal("79.80"), currency="EUR"),
                    ),
                ),
                total=Money(amount=Decimal("79.80"), currency="EUR"),
                fulfilment=Fulfilment(method="delivery", name="Giulia Rossi", address="Via Po 1"),
                payment_url=payment_url,
                tracking_code=tracking_code,
                invoice=Invoice(number=invoice_number, issued_at=now) if invoice_number else None,
                reserved_until=now + timedelta(minutes=30),
                created_at=now,
            ),
            occurred_at=now,
        ),
    )


@dataclass
class FakeGatewayLinks:
    down: set[str] = field(default_factory=set)
    refuse: set[str] = field(default_factory=set)
    """Tenants whose link requests get 404 (as for an order of another tenant)."""
    minted: list[tuple[str, str, str]] = field(default_factory=list)
    """(tenant, kind, resource id) of every link handed out."""
    refused: int = 0
    fail_next: int = 0
    requests: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/auth/service-token")
        async def service_token(request: Request) -> dict[str, Any]:
            body = await request.json()
            token = f"svc.{body['tenant_id']}.{body['audience']}"
            return {"access_token": token, "expires_in": 300, "token_type": "Bearer"}

        @app.post("/v1/internal/tenants/{tenant_id}/links")
        async def links(tenant_id: str, request: Request) -> JSONResponse:
            self.requests += 1
            if request.headers.get("authorization") != f"Bearer svc.{tenant_id}.gateway":
                self.refused += 1
                return JSONResponse({"title": "forbidden"}, status_code=403)
            if tenant_id in self.refuse:
                return JSONResponse({"title": "not found"}, status_code=404)
            if tenant_id in self.down or self.fail_next > 0:
                self.fail_next = max(0, self.fail_next - 1)
                return JSONResponse({"title": "unavailable"}, status_code=503)
            body = await request.json()
            self.minted.append((tenant_id, body["kind"], body["resource_id"]))
            expires = datetime.now(UTC) + timedelta(days=7)
            url = f"https://shop.example/l/{tenant_id}.{body['resource_id']}.sig"
            return JSONResponse({"url": url, "expires_at": expires.isoformat()}, status_code=201)

        return app
