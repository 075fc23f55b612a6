"""`/v1/tenants/{tenant_id}/templates`: the tenant's message templates per channel.

Reads are `Viewer`; creating, syncing and deleting (they act on the tenant's WhatsApp Business
Account at Meta) are `AdminRole`. The console reaches these paths through the gateway's origin.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from bancone_kit.http.auth import AdminRole, Viewer
from bancone_notifier import template_handlers as handlers
from bancone_notifier.adapters.tables import MessageTemplateRecord
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.templates import TemplateCategory

PREFIX = "/v1/tenants/{tenant_id}/templates"

router = APIRouter(prefix=PREFIX, tags=["templates"])


async def _deps(request: Request) -> NotifierDeps:
    deps: NotifierDeps = request.app.state.deps
    return deps


Deps = Annotated[NotifierDeps, Depends(_deps)]


class TemplateIn(BaseModel):
    phone_number_id: str = Field(min_length=1, description="The channel whose account owns it.")
    name: str = Field(examples=["new_offer"])
    language: str = Field(examples=["it", "en_US"])
    category: TemplateCategory
    components: list[dict[str, Any]] = Field(
        description="Meta's components: HEADER, BODY (required), FOOTER, BUTTONS; variables "
        "`{{1}}`…`{{n}}` with one example value each.",
        examples=[
            [
                {
                    "type": "BODY",
                    "text": "Ciao {{1}}, il {{2}} è in offerta!",
                    "example": {"body_text": [["Giulia", "Barbera"]]},
                }
            ]
        ],
    )


class SyncIn(BaseModel):
    phone_number_id: str = Field(min_length=1)


class TemplateOut(BaseModel):
    id: uuid.UUID
    waba_id: str
    meta_id: str | None
    name: str
    language: str
    category: str
    status: str = Field(examples=["PENDING", "APPROVED", "REJECTED", "PAUSED"])
    reason: str | None = Field(description="Meta's reason for a rejection or pause.")
    quality_score: str | None = Field(examples=["GREEN", "YELLOW", "RED"])
    components: list[dict[str, Any]]
    status_changed_at: datetime
    synced_at: datetime | None

    @classmethod
    def of(cls, row: MessageTemplateRecord) -> TemplateOut:
        return cls.model_validate(row, from_attributes=True)


class TemplatesOut(BaseModel):
    items: list[TemplateOut]


@router.get("", response_model=TemplatesOut, dependencies=[Viewer])
async def list_templates(
    tenant_id: str,
    deps: Deps,
    phone_number_id: Annotated[str | None, Query(description="Only this channel's.")] = None,
) -> TemplatesOut:
    rows = await handlers.list_templates(tenant_id, deps, phone_number_id=phone_number_id)
    return TemplatesOut(items=[TemplateOut.of(row) for row in rows])


@router.post("", response_model=TemplateOut, status_code=201, dependencies=[AdminRole])
async def create_template(tenant_id: str, body: TemplateIn, deps: Deps) -> TemplateOut:
    """Submit a template for Meta's review; its status is PENDING until Meta's webhook (or a
    sync) says otherwise."""
    command = handlers.CreateTemplate(tenant_id=tenant_id, **body.model_dump())
    return TemplateOut.of(await handlers.create_template(command, deps))


@router.post(":sync", response_model=TemplatesOut, dependencies=[AdminRole])
async def sync_templates(tenant_id: str, body: SyncIn, deps: Deps) -> TemplatesOut:
    """Replace the local copy with the Graph API's list for the channel's account."""
    rows = await handlers.sync_templates(tenant_id, body.phone_number_id, deps)
    return TemplatesOut(items=[TemplateOut.of(row) for row in rows])


@router.get("/{template_id}", response_model=TemplateOut, dependencies=[Viewer])
async def get_template(tenant_id: str, template_id: uuid.UUID, deps: Deps) -> TemplateOut:
    return TemplateOut.of(await handlers.get_template(tenant_id, template_id, deps))


@router.delete("/{name}", status_code=204, dependencies=[AdminRole])
async def delete_template(
    tenant_id: str,
    name: str,
    deps: Deps,
    phone_number_id: Annotated[str, Query(min_length=1)],
) -> Response:
    """Delete every language of template `name` at Meta and here."""
    await handlers.delete_template(tenant_id, phone_number_id, name, deps)
    return Response(status_code=204)
