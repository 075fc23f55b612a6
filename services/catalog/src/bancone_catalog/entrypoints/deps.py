"""FastAPI dependencies of the catalog routes, read from what `bootstrap` put on `app.state`.

`bootstrap` sets `app.state.session_factory` (an `async_sessionmaker` over the catalog's
engine); the kit's `create_app` sets `app.state.settings`, whose `admin_token` (a
`SecretStr`) guards the write routes. The tenant id is checked here, once, for every route.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_catalog.domain.fields import TENANT_ID_PATTERN
from bancone_kit.logging import get_logger

log = get_logger(__name__)


def get_uow(request: Request) -> CatalogUnitOfWork:
    """A unit of work of this request's own (a unit of work is not shared between tasks)."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return CatalogUnitOfWork(sessions)


def get_admin_token(request: Request) -> SecretStr | None:
    settings: Any = request.app.state.settings
    token = getattr(settings, "admin_token", None)
    return token if isinstance(token, SecretStr) else None


_bearer = HTTPBearer(auto_error=False, description="The platform admin token.")


def require_admin(
    expected: Annotated[SecretStr | None, Depends(get_admin_token)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Writes need `Authorization: Bearer <admin token>` until operator accounts exist.

    Without a configured token every write is refused (fail closed) and that is logged.
    """
    if expected is None:
        log.error("catalog.admin_token_missing")
    secret = expected.get_secret_value().encode() if expected is not None else b""
    given = credentials.credentials.encode() if credentials is not None else b""
    if not (secret and given and hmac.compare_digest(given, secret)):
        raise HTTPException(
            401,
            detail="a valid admin bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


UowDep = Annotated[CatalogUnitOfWork, Depends(get_uow)]
TenantId = Annotated[
    str,
    Path(
        pattern=TENANT_ID_PATTERN,
        description="The tenant's slug; every read and write is scoped to it.",
        examples=["demo"],
    ),
]
AdminOnly = Depends(require_admin)
