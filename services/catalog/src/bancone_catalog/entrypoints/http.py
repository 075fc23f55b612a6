"""The catalog's HTTP app: the catalog API (`catalog_api.py`); health and readiness come from
the kit's app factory, and `CATALOG_PROBLEMS` says what each catalog error means over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from starlette.types import Lifespan

from bancone_catalog.domain.errors import (
    AlreadyExistsError,
    CatalogError,
    ImportTooLargeError,
    InsufficientStockError,
    InvalidIdsError,
    InvalidImportError,
    InvalidTransitionError,
    NotFoundError,
    OrderRejectedError,
    PaymentMismatchError,
    PaymentProviderUnavailableError,
    PriceChangedError,
    SoldOutError,
    UnknownSkusError,
)
from bancone_catalog.domain.payments import InvalidPaymentCallbackError
from bancone_catalog.entrypoints.catalog_api import router as catalog_router
from bancone_catalog.entrypoints.order_api import CALLBACK_PATH, payments_router
from bancone_catalog.entrypoints.order_api import router as order_router
from bancone_catalog.settings import CatalogSettings
from bancone_kit.http.app import create_app
from bancone_kit.http.auth import install_token_verifier
from bancone_kit.http.errors import ErrorProblem, ErrorProblems
from bancone_kit.http.health import ReadinessCheck

PUBLIC_PATHS: frozenset[str] = frozenset({CALLBACK_PATH})
"""Routes that answer without a token besides the kit's probes and docs: the payment
providers' callback (checked by the provider's signature instead)."""


def _import_issues(error: InvalidImportError) -> dict[str, Any]:
    return {"issues": [issue.model_dump(mode="json") for issue in error.issues]}


CATALOG_PROBLEMS: ErrorProblems = {
    NotFoundError: ErrorProblem(404, lambda error: f"{error.kind.capitalize()} not found"),
    AlreadyExistsError: ErrorProblem(
        409, lambda error: f"{error.kind.capitalize()} already exists"
    ),
    InsufficientStockError: ErrorProblem(
        409, "Insufficient stock", extensions=lambda error: {"stock": error.stock}
    ),
    UnknownSkusError: ErrorProblem(
        422, "Unknown product skus", extensions=lambda error: {"skus": error.skus}
    ),
    InvalidImportError: ErrorProblem(
        422,
        "Import rejected",
        detail=lambda error: f"{len(error.issues)} problem(s) found; nothing was imported",
        extensions=_import_issues,
    ),
    ImportTooLargeError: ErrorProblem(413, "Import too large"),
    InvalidIdsError: ErrorProblem(422, "Invalid ids"),
    InvalidTransitionError: ErrorProblem(
        409,
        "Invalid transition",
        detail=lambda error: error.reason,
        extensions=lambda error: {
            "code": "invalid_transition",
            "current_status": error.current,
            "to": error.to,
        },
    ),
    SoldOutError: ErrorProblem(
        409, "Sold out", extensions=lambda error: {"code": "sold_out", "lines": error.lines}
    ),
    PriceChangedError: ErrorProblem(
        409,
        "Price changed",
        extensions=lambda error: {"code": "price_changed", "lines": error.lines},
    ),
    OrderRejectedError: ErrorProblem(
        422,
        "Order rejected",
        extensions=lambda error: {"code": "order_rejected", "lines": error.lines},
    ),
    PaymentMismatchError: ErrorProblem(
        409, "Payment mismatch", extensions=lambda _: {"code": "payment_mismatch"}
    ),
    PaymentProviderUnavailableError: ErrorProblem(502, "Payment provider unavailable"),
    InvalidPaymentCallbackError: ErrorProblem(401, "Invalid payment callback"),
    CatalogError: ErrorProblem(400, "Catalog request refused"),
}
"""Every catalog error and the problem it becomes: 404 an unknown (or another tenant's) id,
409 a natural key taken or stock short, 422 an import with bad rows or an unknown sku."""


def build_http_app(
    settings: CatalogSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app(
        "Bancone catalog", settings, readiness_checks, lifespan, errors=CATALOG_PROBLEMS
    )
    install_token_verifier(app, settings, "catalog")
    app.include_router(catalog_router)
    app.include_router(order_router)
    app.include_router(payments_router)
    return app
