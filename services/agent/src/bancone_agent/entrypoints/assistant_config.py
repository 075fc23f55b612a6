"""Assistant-configuration routes: read (viewer), change, roll back (admin), versions and
diff. A change names the version it was made on (`base_version`): 409 `stale-version` when
another change came first; 422 with `errors: [{field, message}]` naming each bad field.
`llm.api_key` is write-only: reads show `llm.api_key_set`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from bancone_agent import config_handlers as handlers
from bancone_agent.config_handlers import ConfigVersion
from bancone_agent.domain.commands import (
    ChangeConfig,
    DiffConfig,
    ListConfigVersions,
    RollBackConfig,
    ShowConfig,
)
from bancone_agent.entrypoints.web import PREFIX, AdminCaller, Deps, TenantId, ViewerCaller

router = APIRouter(prefix=f"{PREFIX}/assistant-config", tags=["assistant configuration"])

Version = Annotated[int, Path(ge=0, le=1_000_000)]


class ConfigOut(BaseModel):
    version: int = Field(description="0: the built-in defaults (nothing stored yet).")
    config: dict[str, Any]
    created_at: datetime | None
    created_by: str | None
    changed: bool | None = Field(default=None, description="On writes: a new version stored.")

    @classmethod
    def of(cls, found: ConfigVersion, changed: bool | None = None) -> ConfigOut:
        return cls(
            version=found.version,
            config=found.document,
            created_at=found.created_at,
            created_by=found.created_by,
            changed=changed,
        )


class VersionOut(BaseModel):
    version: int
    created_at: datetime
    created_by: str


class VersionList(BaseModel):
    items: list[VersionOut]


class ConfigChange(BaseModel):
    base_version: int = Field(ge=0, description="The version this change was made on.")
    config: dict[str, Any] = Field(
        description="The whole configuration; `llm.api_key` absent keeps the stored key, "
        '"" removes it.'
    )


class RollBack(BaseModel):
    to_version: int = Field(ge=1)
    base_version: int = Field(ge=0)


class Change(BaseModel):
    field: str
    from_: Any = Field(alias="from", serialization_alias="from")
    to: Any


class DiffOut(BaseModel):
    changes: list[Change]


@router.get("", response_model=ConfigOut)
async def active(tenant_id: TenantId, _: ViewerCaller, deps: Deps) -> ConfigOut:
    return ConfigOut.of(await handlers.show_config(ShowConfig(tenant_id), deps))


@router.get("/versions", response_model=VersionList)
async def versions(tenant_id: TenantId, _: ViewerCaller, deps: Deps) -> VersionList:
    found = await handlers.list_config_versions(ListConfigVersions(tenant_id), deps)
    return VersionList(
        items=[VersionOut(version=v, created_at=at, created_by=by) for v, at, by in found]
    )


@router.get("/versions/{version}", response_model=ConfigOut)
async def version(tenant_id: TenantId, version: Version, _: ViewerCaller, deps: Deps) -> ConfigOut:
    return ConfigOut.of(await handlers.show_config(ShowConfig(tenant_id, version), deps))


@router.get("/diff", response_model=DiffOut, response_model_by_alias=True)
async def diff(
    tenant_id: TenantId,
    _: ViewerCaller,
    deps: Deps,
    old: Annotated[int, Query(alias="from", ge=0)],
    new: Annotated[int, Query(alias="to", ge=0)],
) -> DiffOut:
    """Every field that differs from one version to another (dotted paths)."""
    found = await handlers.diff_config(DiffConfig(tenant_id, old, new), deps)
    return DiffOut(changes=[Change(field=f, **{"from": a}, to=b) for f, a, b in found])


@router.put("", response_model=ConfigOut, status_code=201)
async def change(
    tenant_id: TenantId, body: ConfigChange, caller: AdminCaller, deps: Deps, response: Response
) -> ConfigOut:
    """Store a new version (200 and no new version when nothing changed)."""
    command = ChangeConfig(tenant_id, body.base_version, body.config, caller.subject)
    found, new = await handlers.change_config(command, deps)
    if not new:
        response.status_code = 200
    return ConfigOut.of(found, changed=new)


@router.post("/rollback", response_model=ConfigOut, status_code=201)
async def rollback(
    tenant_id: TenantId, body: RollBack, caller: AdminCaller, deps: Deps, response: Response
) -> ConfigOut:
    """Make an earlier version active again, as a new version."""
    command = RollBackConfig(tenant_id, body.to_version, body.base_version, caller.subject)
    found, new = await handlers.roll_back_config(command, deps)
    if not new:
        response.status_code = 200
    return ConfigOut.of(found, changed=new)
