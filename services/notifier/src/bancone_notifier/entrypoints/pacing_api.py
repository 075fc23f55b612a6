"""`/v1/tenants/{tenant_id}/pacing`: each of the tenant's numbers and its throughput tier.

Reads are `Viewer`, setting a tier `AdminRole`; a number that is not one of the tenant's
channels is 404. Not under `/channels/{id}/` because the first segment after the tenant names
the owning service (the gateway's proxy, the `tenant-apis` Ingress) and channels are the
gateway's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_kit.http.auth import AdminRole, Viewer
from bancone_notifier import pacing_handlers
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.pacing import MAX_TIER_PER_SECOND
from bancone_notifier.pacing_handlers import NumberPacing, SetNumberTier

PREFIX = "/v1/tenants/{tenant_id}/pacing"

router = APIRouter(prefix=PREFIX, tags=["pacing"])

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, examples=["demo"])]
NumberId = Annotated[str, Path(min_length=1, max_length=64, examples=["106540352242922"])]


async def _deps(request: Request) -> NotifierDeps:
    deps: NotifierDeps = request.app.state.deps
    return deps


Deps = Annotated[NotifierDeps, Depends(_deps)]


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier_per_second: int | None = Field(
        ge=1,
        le=MAX_TIER_PER_SECOND,
        description="Messages per second this number may send: Meta's tier (80, or 1000 once "
        "upgraded) or lower; null goes back to the notifier's setting.",
        examples=[80, 1000, None],
    )


class PacingOut(BaseModel):
    phone_number_id: str
    tier_per_second: float = Field(description="The tier in force for this number.")
    own_tier: int | None = Field(description="Set for this number; null: the default applies.")
    default_tier: float = Field(description="The notifier's setting (pacing_tier_per_second).")

    @classmethod
    def of(cls, view: NumberPacing) -> PacingOut:
        return cls(
            phone_number_id=view.phone_number_id,
            tier_per_second=view.tier_per_second,
            own_tier=view.own_tier,
            default_tier=view.default_tier,
        )


class PacingPage(BaseModel):
    items: list[PacingOut]


@router.get("", dependencies=[Viewer])
async def list_pacing(tenant_id: TenantId, deps: Deps) -> PacingPage:
    views = await pacing_handlers.list_number_pacing(tenant_id, deps)
    return PacingPage(items=[PacingOut.of(v) for v in views])


@router.get("/{phone_number_id}", dependencies=[Viewer])
async def get_pacing(tenant_id: TenantId, phone_number_id: NumberId, deps: Deps) -> PacingOut:
    return PacingOut.of(await pacing_handlers.number_pacing(tenant_id, phone_number_id, deps))


@router.put("/{phone_number_id}", dependencies=[AdminRole])
async def put_pacing(
    tenant_id: TenantId, phone_number_id: NumberId, body: TierIn, deps: Deps
) -> PacingOut:
    command = SetNumberTier(tenant_id, phone_number_id, body.tier_per_second)
    return PacingOut.of(await pacing_handlers.set_number_tier(command, deps))
