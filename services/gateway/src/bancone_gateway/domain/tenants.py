"""Tenants: the isolated workspaces of the businesses sharing one deployment."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bancone_contracts.tenancy import TENANT_ID_PATTERN, TenantId

__all__ = ["TENANT_ID_PATTERN", "TenantDraft", "TenantId", "TenantName", "TenantRename"]

TenantName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TenantDraft(BaseModel):
    """What an operator sends to create a tenant."""

    model_config = ConfigDict(extra="forbid")

    id: TenantId = Field(examples=["demo"])
    name: TenantName = Field(examples=["Enoteca Bancone"])


class TenantRename(BaseModel):
    """What an operator sends to create-or-update a tenant at a known id."""

    model_config = ConfigDict(extra="forbid")

    name: TenantName = Field(examples=["Enoteca Bancone"])
