"""What every router of the agent shares: the deps, the path parameters, the caller."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request

from bancone_agent.deps import AgentDeps
from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_kit.auth.principal import Principal
from bancone_kit.http.auth import AdminRole, AgentRole, Viewer


async def get_deps(request: Request) -> AgentDeps:
    deps: AgentDeps = request.app.state.deps
    return deps


TenantId = Annotated[
    str, Path(pattern=TENANT_ID_PATTERN, description="The tenant's slug.", examples=["demo"])
]
ConversationId = Annotated[uuid.UUID, Path(description="The conversation's id.")]
Deps = Annotated[AgentDeps, Depends(get_deps)]
ViewerCaller = Annotated[Principal, Viewer]
"""A viewer (or higher) of the path's tenant."""
AgentCaller = Annotated[Principal, AgentRole]
"""An agent (or higher) of the path's tenant: acts in conversations."""
AdminCaller = Annotated[Principal, AdminRole]
"""An admin (or higher) of the path's tenant: configures the assistant."""
PREFIX = "/v1/tenants/{tenant_id}"
