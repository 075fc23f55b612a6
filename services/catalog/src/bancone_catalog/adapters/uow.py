"""One business transaction: the catalog repository and the outbox share its session.

Leaving the block without `commit()` rolls everything back, so a handler that raises half-way
(a bad import row found late, a conflicting sku) leaves neither rows nor events behind.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_catalog.adapters.orders import OrderRepository
from bancone_catalog.adapters.repository import CatalogRepository
from bancone_catalog.adapters.stock import StockRepository
from bancone_contracts.envelope import Envelope
from bancone_kit.messaging import outbox


class CatalogUnitOfWork:
    """`async with uow:` opens a session; use `uow.catalog`, `uow.publish(event)`, `uow.commit()`.

    The same object can be entered again after it is left (a new session each time), so the
    application keeps one per database and handlers enter it per use case.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self._catalog: CatalogRepository | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use `async with uow:`")
        return self._session

    @property
    def catalog(self) -> CatalogRepository:
        if self._catalog is None:
            raise RuntimeError("the unit of work is not open; use `async with uow:`")
        return self._catalog

    @property
    def stock(self) -> StockRepository:
        """Variants, stock levels and the ledger (same session)."""
        return StockRepository(self.session)

    @property
    def orders(self) -> OrderRepository:
        """Orders, invoices, counters, selling settings (same session)."""
        return OrderRepository(self.session)

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open")
        self._session = self._session_factory()
        self._catalog = CatalogRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session, self._catalog = self.session, None, None
        try:
            await session.rollback()
        finally:
            await session.close()

    def publish(self, event: Envelope[Any]) -> None:
        """Stage `event` in the outbox; it is published only if this transaction commits."""
        outbox.stage(self.session, event)

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
