"""Tenants: the isolated workspaces of the businesses sharing one deployment."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TENANT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"

TenantId = Annotated[str, StringConstraints(pattern=TENANT_ID_PATTERN)]
"""A slug such as `demo`: lower-case letters, digits and dashes, 2 to 63 characters."""

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
