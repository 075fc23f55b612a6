"""FastAPI dependencies of the catalog routes, read from what `bootstrap` put on `app.state`.

`bootstrap` sets `app.state.session_factory` (an `async_sessionmaker` over the catalog's
engine); the routes are guarded by the kit's role guards (`bancone_kit.http.auth`).
The tenant id is checked here, once, for every route, with the contracts' one pattern.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_catalog.adapters.uow import CatalogUnitOfWork
from bancone_contracts.tenancy import TENANT_ID_PATTERN

__all__ = ["TenantId", "UowDep", "get_uow"]


async def get_uow(request: Request) -> CatalogUnitOfWork:
    """A unit of work of this request's own (a unit of work is not shared between tasks)."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return CatalogUnitOfWork(sessions)


UowDep = Annotated[CatalogUnitOfWork, Depends(get_uow)]
TenantId = Annotated[
    str,
    Path(
        pattern=TENANT_ID_PATTERN,
        description="The tenant's slug; every read and write is scoped to it.",
        examples=["demo"],
    ),
]
