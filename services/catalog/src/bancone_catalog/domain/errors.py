"""Business errors of the catalog; the HTTP layer maps each to one problem status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bancone_catalog.domain.imports import ImportIssue


class CatalogError(Exception):
    """Base of every error the catalog raises on purpose."""


class NotFoundError(CatalogError):
    """The tenant has no such product, FAQ or offer (another tenant's counts as none)."""

    def __init__(self, kind: str, ref: object) -> None:
        super().__init__(f"{kind} {ref} not found")
        self.kind = kind
        self.ref = ref


class AlreadyExistsError(CatalogError):
    """The natural key (sku, FAQ key, offer code) is taken within the tenant."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} already exists")
        self.kind = kind
        self.key = key


class InsufficientStockError(CatalogError):
    """A stock adjustment would take the stock below zero."""

    def __init__(self, sku: str, stock: int, delta: int) -> None:
        super().__init__(f"stock of {sku!r} is {stock}; cannot apply {delta}")
        self.sku = sku
        self.stock = stock
        self.delta = delta


class UnknownSkusError(CatalogError):
    """An offer names products the tenant does not have."""

    def __init__(self, skus: Sequence[str]) -> None:
        super().__init__(f"unknown product skus: {', '.join(skus)}")
        self.skus = list(skus)


class InvalidImportError(CatalogError):
    """An import file has bad rows; it carries every problem found, and nothing was imported."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        count = len(issues)
        super().__init__(f"import rejected: {count} problem{'s' if count != 1 else ''}")
        self.issues = list(issues)


class ImportTooLargeError(CatalogError):
    """An import body is over the size the catalog parses."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"an import body may be at most {limit} bytes")
        self.limit = limit


class InvalidIdsError(CatalogError):
    """A batch read names no ids, too many, or something that is not a product id."""
