"""Signed customer links: `POST /v1/internal/tenants/{tenant_id}/links` (a service token for
that tenant, addressed to the gateway) mints one; `GET /l/{token}` (public: the signed token is
the credential) serves what it names. Every refusal of `/l/` is the same 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from bancone_gateway.domain.links import RESOURCE_ID, invoice_filename
from bancone_gateway.entrypoints.admin import TenantIdPath
from bancone_gateway.handlers import links as handlers
from bancone_gateway.handlers.links import LinkDeps
from bancone_kit.http.auth import ServiceOnly

PUBLIC_LINK_PATH = "/l/{token}"


async def get_link_deps(request: Request) -> LinkDeps:
    deps: LinkDeps = request.app.state.links
    return deps


LinkDepsDep = Annotated[LinkDeps, Depends(get_link_deps)]


class LinkRequest(BaseModel):
    kind: str = Field(examples=["invoice"], description="What the link opens: `invoice`.")
    resource_id: str = Field(pattern=f"^{RESOURCE_ID.pattern}$", examples=["ord_01JEXAMPLE"])


class LinkPublic(BaseModel):
    url: str = Field(examples=["https://shop.example/l/eyJhbGciOi..."])
    expires_at: datetime


internal = APIRouter(
    prefix="/v1/internal/tenants/{tenant_id}", tags=["links"], dependencies=[ServiceOnly]
)
public = APIRouter(tags=["links"])


@internal.post("/links", status_code=201)
async def mint_link(tenant_id: TenantIdPath, body: LinkRequest, deps: LinkDepsDep) -> LinkPublic:
    """A signed, expiring link to one of the tenant's resources (the agent sends it to the
    customer); opening it needs no login."""
    minted = await handlers.mint_link(tenant_id, body.kind, body.resource_id, deps)
    return LinkPublic(url=minted.url, expires_at=minted.expires_at)


@public.get(
    PUBLIC_LINK_PATH, response_class=Response, responses={200: {"content": {"application/pdf": {}}}}
)
async def open_link(token: str, deps: LinkDepsDep) -> Response:
    invoice = await handlers.open_invoice_link(token, deps)
    return Response(
        invoice.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{invoice_filename(invoice.number)}"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )
