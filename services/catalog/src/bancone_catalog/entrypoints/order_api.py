"""The selling API under `/v1/tenants/{tenant_id}/`: cart quotes, orders, their transitions,
payment links, invoices (PDF) and the selling settings; plus the payment providers' callback
(`/v1/payments/{provider}/callback`, public: the provider's signature is its credential).

Quotes, orders and invoices are read by the agent (service token) and operators; placing an
order is the agent's (or an operator's, role agent and up); status changes an operator's
(agent and up); settings an admin's.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from bancone_catalog import order_handlers, payment_handlers
from bancone_catalog.adapters.invoice_pdf import render_invoice
from bancone_catalog.domain.errors import NotFoundError, PaymentProviderUnavailableError
from bancone_catalog.domain.invoice_settings import InvoiceSettings
from bancone_catalog.domain.orders import (
    OrderPublic,
    PlaceOrder,
    Quote,
    QuoteRequest,
    TransitionRequest,
)
from bancone_catalog.domain.payments import PaymentProvider
from bancone_catalog.entrypoints.catalog_api import Page
from bancone_catalog.entrypoints.deps import TenantId, UowDep
from bancone_contracts.events.order import OrderStatus
from bancone_kit.auth.principal import Principal
from bancone_kit.http.auth import AdminRole, ServiceOrViewer, guard
from bancone_kit.http.problems import Problem
from bancone_kit.logging import get_logger

log = get_logger(__name__)

ServiceOrAgent = guard("agent", allow_service=True)
"""Placing an order: the agent for its customer, or an operator."""
Operator = guard("agent")
CALLBACK_PATH = "/v1/payments/{provider}/callback"

_problems: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem} for status in (401, 403, 404, 409, 422)
}
router = APIRouter(prefix="/v1/tenants/{tenant_id}", responses=_problems)
payments_router = APIRouter(responses=_problems)


def _payments(request: Request) -> tuple[PaymentProvider | None, str]:
    providers: dict[str, PaymentProvider] = getattr(request.app.state, "payments", {})
    provider = next(iter(providers.values()), None)
    return provider, str(getattr(request.app.state, "public_url", ""))


@router.post("/carts/quote", dependencies=[ServiceOrViewer], tags=["orders"])
async def quote_cart(tenant_id: TenantId, body: QuoteRequest, uow: UowDep) -> Quote:
    """Prices and availability of a cart now (read only): every line with its `problem`,
    null or `unknown_sku` / `inactive` / `out_of_stock` / `insufficient_stock` /
    `quantity_over_limit`; `ok` when no line has one."""
    return await order_handlers.quote_cart(tenant_id, body, uow)


@router.post(
    "/orders",
    status_code=201,
    dependencies=[ServiceOrAgent],
    tags=["orders"],
    responses={200: {"model": OrderPublic, "description": "Placed before with this key."}},
)
async def place_order(
    tenant_id: TenantId, body: PlaceOrder, uow: UowDep, request: Request, response: Response
) -> OrderPublic:
    """Reserve the stock of every line (all or none) and place a pending order; the same
    `idempotency_key` again answers 200 with the same order. 409 `sold_out` /
    `price_changed`, 422 unknown or inactive sku, quantity over the limit."""
    order, created = await order_handlers.place_order(tenant_id, body, uow)
    if not created:
        response.status_code = 200
    provider, public_url = _payments(request)
    try:
        oid = uuid.UUID(order.order_id)
        return await order_handlers.attach_payment_link(tenant_id, oid, uow, provider, public_url)
    except PaymentProviderUnavailableError as error:
        log.warning(
            "payment_link_failed", tenant_id=tenant_id, order=order.number, error=str(error)
        )
        return order


@router.get("/orders", dependencies=[ServiceOrViewer], tags=["orders"])
async def list_orders(
    tenant_id: TenantId,
    uow: UowDep,
    customer_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[OrderPublic]:
    """Newest first."""
    items = await order_handlers.list_orders(
        tenant_id, uow, customer_id=customer_id, status=status, limit=limit
    )
    return Page(items=items)


@router.get("/orders/by-number/{number}", dependencies=[ServiceOrViewer], tags=["orders"])
async def get_order_by_number(
    tenant_id: TenantId,
    number: str,
    uow: UowDep,
    customer_id: Annotated[str, Query(min_length=1, max_length=100)],
) -> OrderPublic:
    """The customer's own order (`A-1042`, `#1042` or `1042`); anyone else's is 404."""
    return await order_handlers.get_order_by_number(tenant_id, number, customer_id, uow)


@router.get("/orders/{order_id}", dependencies=[ServiceOrViewer], tags=["orders"])
async def get_order(tenant_id: TenantId, order_id: uuid.UUID, uow: UowDep) -> OrderPublic:
    return await order_handlers.get_order(tenant_id, order_id, uow)


@router.post("/orders/{order_id}/transitions", tags=["orders"])
async def transition_order(
    principal: Annotated[Principal, Operator],  # first: the guard runs before anything else
    tenant_id: TenantId,
    order_id: uuid.UUID,
    body: TransitionRequest,
    uow: UowDep,
) -> OrderPublic:
    """Confirm, ship (a delivery needs `tracking_code`), deliver, cancel or refund; a change
    the lifecycle does not allow is 409 `invalid_transition`."""
    return await order_handlers.transition_order(
        tenant_id, order_id, body, uow, operator_id=principal.subject
    )


@router.post("/orders/{order_id}/payment-link", dependencies=[ServiceOrAgent], tags=["orders"])
async def payment_link(
    tenant_id: TenantId, order_id: uuid.UUID, uow: UowDep, request: Request
) -> OrderPublic:
    """Ask the provider again for an unpaid order's payment page (502 if it still fails)."""
    provider, public_url = _payments(request)
    return await order_handlers.attach_payment_link(tenant_id, order_id, uow, provider, public_url)


@router.get(
    "/orders/{order_id}/invoice.pdf",
    dependencies=[ServiceOrViewer],
    tags=["orders"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def invoice_pdf(tenant_id: TenantId, order_id: uuid.UUID, uow: UowDep) -> Response:
    """The paid order's invoice; 404 when it has none (not paid)."""
    document = await payment_handlers.invoice_document(tenant_id, order_id, uow)
    pdf = await run_in_threadpool(render_invoice, document)
    headers = {
        "Content-Disposition": f'inline; filename="invoice-{document.number}.pdf"',
        "Cache-Control": "no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/invoice-settings", dependencies=[AdminRole], tags=["orders"])
async def get_invoice_settings(tenant_id: TenantId, uow: UowDep) -> InvoiceSettings:
    return await order_handlers.get_invoice_settings(tenant_id, uow)


@router.put("/invoice-settings", dependencies=[AdminRole], tags=["orders"])
async def put_invoice_settings(
    tenant_id: TenantId, body: InvoiceSettings, uow: UowDep
) -> InvoiceSettings:
    """The seller printed on invoices, the VAT rate, how long an unpaid order holds its
    stock, and the most units of one sku per order line."""
    return await order_handlers.put_invoice_settings(tenant_id, body, uow)


@payments_router.post(CALLBACK_PATH, status_code=204, tags=["payments"])
async def payment_callback(provider: str, request: Request, uow: UowDep) -> Response:
    """A provider's signed notice. 204 applied or already applied; 401 bad signature; 404
    unknown order; 409 amount or currency mismatch. Nothing changes unless it is 204."""
    providers: dict[str, PaymentProvider] = getattr(request.app.state, "payments", {})
    adapter = providers.get(provider)
    if adapter is None:
        raise NotFoundError("payment provider", provider)
    body = await request.body()
    changed = await payment_handlers.receive_payment_callback(
        adapter, body, dict(request.headers), uow
    )
    log.info("payment_callback", provider=provider, changed=changed)
    return Response(status_code=204)
