"""`/v1/webhook-rejected-items`: the webhook messages and statuses the gateway set aside.

Platform operators only: the list spans every tenant (and items that named no routable number
have no tenant at all), so no tenant role may read it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_gateway.entrypoints.deps import DepsDep
from bancone_gateway.handlers.rejected_items import list_rejected_items
from bancone_kit.http.auth import Platform
from bancone_kit.http.problems import Problem

router = APIRouter(
    prefix="/v1/webhook-rejected-items",
    tags=["webhooks"],
    dependencies=[Platform],
    responses={401: {"model": Problem}, 403: {"model": Problem}, 422: {"model": Problem}},
)


class RejectedItemPublic(BaseModel):
    """One item as Meta sent it (`raw`), and why it was not published (`error`)."""

    id: int
    tenant_id: str | None = Field(description="None when the item named no routable number.")
    phone_number_id: str | None
    waba_id: str
    field: str = Field(examples=["messages"])
    kind: str = Field(examples=["message", "status", "change"])
    error: str = Field(examples=["reaction.message_id: Field required"])
    raw: Any
    received_at: datetime


class RejectedItemPage(BaseModel):
    items: list[RejectedItemPublic]
    next_before_id: int | None = Field(
        default=None, description="Pass as `before_id` for older items; None on the last page."
    )


@router.get("", response_model=RejectedItemPage)
async def list_rejected_items_route(
    deps: DepsDep,
    tenant_id: Annotated[str | None, Query(pattern=TENANT_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> RejectedItemPage:
    """Newest first; one tenant's with `tenant_id`, else every tenant's."""
    items = await list_rejected_items(deps, tenant_id=tenant_id, limit=limit, before_id=before_id)
    return RejectedItemPage(
        items=[RejectedItemPublic(**asdict(item)) for item in items],
        next_before_id=items[-1].id if len(items) == limit else None,
    )
