"""Provisioning API: tenants (platform operators) and their WhatsApp channels (platform
operators at setup, the tenant's admins afterwards), under `/v1/tenants`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field

from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_gateway.domain.channels import (
    PHONE_NUMBER_ID_PATTERN,
    ChannelCredentials,
    ChannelStatus,
    Outcome,
)
from bancone_gateway.domain.tenants import TenantDraft, TenantRename
from bancone_gateway.entrypoints.deps import DepsDep
from bancone_gateway.handlers import provisioning
from bancone_kit.http.auth import Platform, PlatformOrAdmin, PlatformOrViewer
from bancone_kit.http.problems import Problem

router = APIRouter(
    prefix="/v1/tenants",
    tags=["provisioning"],
    responses={code: {"model": Problem} for code in (401, 403, 422)},
)

TenantIdPath = Annotated[str, Path(pattern=TENANT_ID_PATTERN, examples=["demo"])]
PhoneNumberIdPath = Annotated[
    str, Path(pattern=PHONE_NUMBER_ID_PATTERN, examples=["106540352242922"])
]


class TenantPublic(BaseModel):
    id: str
    name: str
    created_at: datetime
    updated_at: datetime


class ChannelPublic(BaseModel):
    """A channel without its secrets: only whether each one is set."""

    tenant_id: str
    phone_number_id: str
    waba_id: str | None
    display_phone_number: str | None
    status: ChannelStatus
    has_verify_token: bool
    has_app_secret: bool
    has_access_token: bool
    created_at: datetime
    updated_at: datetime
    change: Outcome | None = Field(
        default=None, description="What this request did (register/rotate calls only)."
    )


def _tenant(tenant: provisioning.Tenant) -> TenantPublic:
    return TenantPublic(**asdict(tenant))


def _channel(channel: provisioning.Channel, change: Outcome | None = None) -> ChannelPublic:
    return ChannelPublic(**asdict(channel), change=change)


@router.post(
    "",
    dependencies=[Platform],
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": Problem}},
)
async def create_tenant(draft: TenantDraft, deps: DepsDep) -> TenantPublic:
    return _tenant(await provisioning.create_tenant(draft, deps))


@router.put("/{tenant_id}", dependencies=[Platform], responses={201: {"model": TenantPublic}})
async def put_tenant(
    tenant_id: TenantIdPath, body: TenantRename, deps: DepsDep, response: Response
) -> TenantPublic:
    """Create or rename: safe to re-run (seeding scripts)."""
    tenant, created = await provisioning.put_tenant(tenant_id, body.name, deps)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _tenant(tenant)


@router.get("/{tenant_id}", dependencies=[PlatformOrViewer], responses={404: {"model": Problem}})
async def get_tenant(tenant_id: TenantIdPath, deps: DepsDep) -> TenantPublic:
    return _tenant(await provisioning.get_tenant(tenant_id, deps))


class ChannelList(BaseModel):
    items: list[ChannelPublic]


@router.get(
    "/{tenant_id}/channels", dependencies=[PlatformOrAdmin], responses={404: {"model": Problem}}
)
async def list_channels(tenant_id: TenantIdPath, deps: DepsDep) -> ChannelList:
    """The tenant's WhatsApp numbers (active and disabled), without secrets."""
    return ChannelList(
        items=[_channel(c) for c in await provisioning.list_channels(tenant_id, deps)]
    )


@router.put(
    "/{tenant_id}/channels/{phone_number_id}",
    dependencies=[PlatformOrAdmin],
    responses={201: {"model": ChannelPublic}, 404: {"model": Problem}, 409: {"model": Problem}},
)
async def put_channel(
    tenant_id: TenantIdPath,
    phone_number_id: PhoneNumberIdPath,
    credentials: ChannelCredentials,
    deps: DepsDep,
    response: Response,
) -> ChannelPublic:
    """Register or rotate a channel; secrets are stored sealed and never returned."""
    channel, change = await provisioning.put_channel(tenant_id, phone_number_id, credentials, deps)
    response.status_code = status.HTTP_201_CREATED if change == "registered" else status.HTTP_200_OK
    return _channel(channel, change)


@router.get(
    "/{tenant_id}/channels/{phone_number_id}",
    dependencies=[PlatformOrAdmin],
    responses={404: {"model": Problem}},
)
async def get_channel(
    tenant_id: TenantIdPath, phone_number_id: PhoneNumberIdPath, deps: DepsDep
) -> ChannelPublic:
    return _channel(await provisioning.get_channel(tenant_id, phone_number_id, deps))


@router.delete(
    "/{tenant_id}/channels/{phone_number_id}",
    dependencies=[PlatformOrAdmin],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": Problem}},
)
async def disable_channel(
    tenant_id: TenantIdPath, phone_number_id: PhoneNumberIdPath, deps: DepsDep
) -> Response:
    """Disable the channel (webhooks for it are then dropped); idempotent."""
    await provisioning.disable_channel(tenant_id, phone_number_id, deps)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
