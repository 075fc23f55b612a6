"""`/v1/webhook-rejected-items`: the webhook messages and statuses the gateway set aside.

Platform operators only: the list spans every tenant (and items that named no routable number
have no tenant at all), so no tenant role may read it. After a fix they replay one item or all
pending ones: each is validated again and published if it now parses (once, by its wamid).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_gateway.entrypoints.deps import DepsDep
from bancone_gateway.handlers.rejected_items import list_rejected_items
from bancone_gateway.handlers.rejected_replay import (
    ReplayOutcome,
    ReplayResult,
    replay_rejected_item,
    replay_rejected_items,
)
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
    replayed_at: datetime | None = Field(
        default=None, description="When a replay validated and published it."
    )
    replay_attempts: int = 0


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


class ReplayResultPublic(BaseModel):
    id: int
    outcome: ReplayOutcome
    error: str | None = Field(default=None, description="Why it still fails.")
    tenant_id: str | None = None

    @classmethod
    def of(cls, result: ReplayResult) -> ReplayResultPublic:
        return cls(**asdict(result))


class ReplayedPage(BaseModel):
    results: list[ReplayResultPublic]


@router.post(
    "/{item_id}/replay",
    response_model=ReplayResultPublic,
    responses={404: {"model": Problem}, 409: {"model": Problem}, 503: {"model": Problem}},
)
async def replay_rejected_item_route(
    deps: DepsDep, item_id: Annotated[int, Path(ge=1)]
) -> ReplayResultPublic:
    """Validate the item again; publish it if it now parses, else keep it with the new error."""
    return ReplayResultPublic.of(await replay_rejected_item(deps, item_id))


@router.post("/replay", response_model=ReplayedPage, responses={503: {"model": Problem}})
async def replay_rejected_items_route(
    deps: DepsDep,
    tenant_id: Annotated[str | None, Query(pattern=TENANT_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReplayedPage:
    """Replay every item not replayed yet, oldest first (one tenant's with `tenant_id`)."""
    results = await replay_rejected_items(deps, tenant_id=tenant_id, limit=limit)
    return ReplayedPage(results=[ReplayResultPublic.of(r) for r in results])
