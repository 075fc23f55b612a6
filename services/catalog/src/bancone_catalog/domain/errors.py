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


class InvalidTransitionError(CatalogError):
    """An order cannot go from its status to the one asked (or lacks what that needs)."""

    def __init__(self, current: str, to: str, reason: str) -> None:
        super().__init__(reason)
        self.current = current
        self.to = to
        self.reason = reason


class SoldOutError(CatalogError):
    """Some lines can't be reserved: `lines` are `{sku, requested, available}`; nothing was."""

    def __init__(self, lines: Sequence[dict[str, object]]) -> None:
        super().__init__("sold out: " + ", ".join(str(line["sku"]) for line in lines))
        self.lines = list(lines)


class PriceChangedError(CatalogError):
    """A price differs from the one the customer was shown: `lines` are `{sku, expected,
    unit_price, currency}`; nothing was placed."""

    def __init__(self, lines: Sequence[dict[str, object]]) -> None:
        super().__init__("price changed: " + ", ".join(str(line["sku"]) for line in lines))
        self.lines = list(lines)


class OrderRejectedError(CatalogError):
    """An order that can never be placed as asked (unknown or inactive sku, over the limit):
    `lines` are `{sku, problem}`."""

    def __init__(self, lines: Sequence[dict[str, object]]) -> None:
        super().__init__("order rejected: " + ", ".join(str(line["sku"]) for line in lines))
        self.lines = list(lines)


class PaymentMismatchError(CatalogError):
    """A payment notice's amount or currency is not the order's; nothing changed."""


class PaymentProviderUnavailableError(CatalogError):
    """The payment provider could not give a link now; the order stays pending."""
