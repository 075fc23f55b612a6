"""`/payments/*`: the sandbox payment provider (pay by link), the project's own fake.

`POST /payments/v1/links` (Bearer api key) creates a link, idempotent per (tenant, reference);
`GET /payments/pay/{id}` shows the pay page; `POST /payments/pay/{id}` pays it and sends the
signed `paid` callback (retried with backoff on failure, each attempt recorded);
`GET /payments/v1/links` lists links and attempts for tests. Never any card data.
"""

from __future__ import annotations

import hmac
import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from bancone_sandbox.payments_callbacks import post_once, retry_until_delivered
from bancone_sandbox.payments_page import paid_page, pay_page
from bancone_sandbox.payments_state import PaymentLinkRecord, new_event_id, new_link_id
from bancone_sandbox.runtime import RuntimeDep, SandboxRuntime
from bancone_sandbox.state import utc_now

router = APIRouter(prefix="/payments", tags=["payments"])


class LinkRequest(BaseModel):
    reference: str = Field(min_length=1, max_length=128, examples=["ord_01J..."])
    tenant_id: str = Field(min_length=1, max_length=64, examples=["demo"])
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2, examples=["79.80"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])
    description: str = Field(default="", max_length=200)
    callback_url: str = Field(
        pattern=r"^https?://", examples=["http://127.0.0.1:8081/v1/payments/sandbox/callback"]
    )


def _check_api_key(runtime: SandboxRuntime, authorization: str | None) -> None:
    scheme, _, key = (authorization or "").partition(" ")
    expected = runtime.settings.payments_api_key.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), expected):
        raise HTTPException(401, detail="a valid payments API key is required")


def _link(runtime: SandboxRuntime, link_id: str) -> PaymentLinkRecord:
    link = runtime.state.payments.links.get(link_id)
    if link is None:
        raise HTTPException(404, detail=f"no payment link {link_id}")
    return link


@router.post("/v1/links", status_code=201)
async def create_link(
    body: LinkRequest,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """A payment page for the reference; the same (tenant, reference) gets the same link (200),
    unless the amount or currency differ (409: a reference is one payment)."""
    _check_api_key(runtime, authorization)
    payments = runtime.state.payments
    existing = payments.find(body.tenant_id, body.reference)
    if existing is not None:
        if (existing.amount, existing.currency) != (body.amount, body.currency):
            raise HTTPException(409, detail="this reference already has a link for another amount")
        response.status_code = 200
        return {"id": existing.id, "url": existing.url, "status": existing.status}
    link_id = new_link_id()
    base = str(request.base_url).rstrip("/")
    link = PaymentLinkRecord(
        id=link_id,
        tenant_id=body.tenant_id,
        reference=body.reference,
        amount=body.amount,
        currency=body.currency,
        description=body.description,
        callback_url=body.callback_url,
        url=f"{base}/payments/pay/{link_id}",
        created_at=utc_now(),
    )
    payments.add(link)
    return {"id": link.id, "url": link.url, "status": link.status}


@router.get("/v1/links")
async def list_links(
    runtime: RuntimeDep, tenant_id: str | None = None, reference: str | None = None
) -> list[dict[str, Any]]:
    """Links (oldest first) with their callback attempts: what tests assert on."""
    return [
        link.as_json()
        for link in runtime.state.payments.links.values()
        if tenant_id in (None, link.tenant_id) and reference in (None, link.reference)
    ]


@router.get("/pay/{link_id}", response_class=HTMLResponse)
async def show_pay_page(link_id: str, runtime: RuntimeDep) -> HTMLResponse:
    return HTMLResponse(pay_page(_link(runtime, link_id)))


@router.post("/pay/{link_id}")
async def pay(
    link_id: str, request: Request, runtime: RuntimeDep, background: BackgroundTasks
) -> Response:
    """Mark paid and send the callback once now; failures are retried after the response. A
    second payment of the same link changes nothing and sends nothing."""
    link = _link(runtime, link_id)
    if link.status != "paid":
        now = utc_now()
        link.status, link.paid_at, link.event_id = "paid", now, new_event_id()
        link.notice = _notice(link)
        settings, client = runtime.settings, runtime.webhook_client()
        first = await post_once(client, link, settings.payments_secret, now)
        if not first.delivered and settings.payments_callback_attempts > 1:
            background.add_task(
                retry_until_delivered,
                client,
                link,
                settings.payments_secret,
                attempts=settings.payments_callback_attempts,
                backoff_seconds=settings.payments_callback_backoff_seconds,
            )
    answer = {"status": link.status, "link_id": link.id, "event_id": link.event_id}
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(paid_page(link), background=background)
    return JSONResponse(answer, background=background)


def _notice(link: PaymentLinkRecord) -> bytes:
    assert link.paid_at is not None
    payload = {
        "event_id": link.event_id,
        "link_id": link.id,
        "reference": link.reference,
        "tenant_id": link.tenant_id,
        "status": "paid",
        "amount": str(link.amount),
        "currency": link.currency,
        "paid_at": link.paid_at.isoformat(),
    }
    return json.dumps(payload, separators=(",", ":")).encode()
