"""The catalog's HTTP API under `/v1/tenants/{tenant_id}/`: thin routes that call a handler.

Reads need a viewer of the tenant (or the agent's service token for it); writes an admin
(the kit's guards, `bancone_kit.http.auth`). Catalog errors become RFC 9457 problems
through the app's one table (`entrypoints/http.py`, `CATALOG_PROBLEMS`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from bancone_catalog import handlers
from bancone_catalog.domain.errors import ImportTooLargeError, InvalidIdsError
from bancone_catalog.domain.faqs import FaqCreate, FaqPublic, FaqUpdate
from bancone_catalog.domain.fields import LanguageCode
from bancone_catalog.domain.imports import EntityKind, ImportReport, parse_catalog
from bancone_catalog.domain.offers import OfferCreate, OfferPublic, OfferUpdate
from bancone_catalog.domain.products import (
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    StockAdjustment,
)
from bancone_catalog.domain.search import MAX_LIMIT, ProductSearch
from bancone_catalog.entrypoints.deps import TenantId, UowDep
from bancone_kit.http.auth import AdminRole, ServiceOrViewer
from bancone_kit.http.problems import Problem

MAX_IMPORT_BYTES = 20 * 1024 * 1024
"""An import body larger than this is refused with 413 before it is parsed."""

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """A list response; an object so that paging fields can join `items` later."""

    items: list[ItemT]


class ProductBatch(Page[ProductPublic]):
    missing: list[uuid.UUID] = Field(
        default_factory=list, description="Ids asked for that the tenant has no product with."
    )


_problems: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem} for status in (401, 403, 404, 409, 422)
}
router = APIRouter(prefix="/v1/tenants/{tenant_id}", responses=_problems)
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


# -- products -------------------------------------------------------------------------------


@router.post("/products", status_code=201, dependencies=[AdminRole], tags=["products"])
async def create_product(tenant_id: TenantId, body: ProductCreate, uow: UowDep) -> ProductPublic:
    return await handlers.create_product(tenant_id, body, uow)


@router.get("/products", dependencies=[ServiceOrViewer], tags=["products"])
async def search_products(
    tenant_id: TenantId, search: Annotated[ProductSearch, Query()], uow: UowDep
) -> Page[ProductPublic]:
    """Active products matching every filter given, by relevance to `q`, then price."""
    return Page(items=await handlers.search_products(tenant_id, search, uow))


@router.get("/products:batchGet", dependencies=[ServiceOrViewer], tags=["products"])
async def batch_get_products(
    tenant_id: TenantId,
    uow: UowDep,
    ids: Annotated[str, Query(description="Comma-separated product ids, at most 100.")],
) -> ProductBatch:
    """Several products at once, in the order asked (inactive ones included)."""
    wanted = _uuid_list(ids)
    found = await handlers.get_products(tenant_id, wanted, uow)
    known = {product.id for product in found}
    return ProductBatch(items=found, missing=[i for i in dict.fromkeys(wanted) if i not in known])


@router.get("/products/{product_id}", dependencies=[ServiceOrViewer], tags=["products"])
async def get_product(tenant_id: TenantId, product_id: uuid.UUID, uow: UowDep) -> ProductPublic:
    return await handlers.get_product(tenant_id, product_id, uow)


@router.patch("/products/{product_id}", dependencies=[AdminRole], tags=["products"])
async def update_product(
    tenant_id: TenantId, product_id: uuid.UUID, body: ProductUpdate, uow: UowDep
) -> ProductPublic:
    return await handlers.update_product(tenant_id, product_id, body, uow)


@router.delete(
    "/products/{product_id}", status_code=204, dependencies=[AdminRole], tags=["products"]
)
async def delete_product(tenant_id: TenantId, product_id: uuid.UUID, uow: UowDep) -> None:
    await handlers.delete_product(tenant_id, product_id, uow)


@router.post("/products/{product_id}/stock", dependencies=[AdminRole], tags=["products"])
async def adjust_stock(
    tenant_id: TenantId, product_id: uuid.UUID, body: StockAdjustment, uow: UowDep
) -> ProductPublic:
    """Add `delta` to the stock (negative for a sale); 409 if it would go below zero."""
    return await handlers.adjust_stock(tenant_id, product_id, body.delta, uow)


# -- FAQs -----------------------------------------------------------------------------------


@router.post("/faqs", status_code=201, dependencies=[AdminRole], tags=["faqs"])
async def create_faq(tenant_id: TenantId, body: FaqCreate, uow: UowDep) -> FaqPublic:
    return await handlers.create_faq(tenant_id, body, uow)


@router.get("/faqs", dependencies=[ServiceOrViewer], tags=["faqs"])
async def list_faqs(
    tenant_id: TenantId,
    uow: UowDep,
    language: Annotated[LanguageCode | None, Query()] = None,
    limit: Limit = MAX_LIMIT,
) -> Page[FaqPublic]:
    return Page(items=await handlers.list_faqs(tenant_id, uow, language=language, limit=limit))


@router.get("/faqs/{faq_id}", dependencies=[ServiceOrViewer], tags=["faqs"])
async def get_faq(tenant_id: TenantId, faq_id: uuid.UUID, uow: UowDep) -> FaqPublic:
    return await handlers.get_faq(tenant_id, faq_id, uow)


@router.patch("/faqs/{faq_id}", dependencies=[AdminRole], tags=["faqs"])
async def update_faq(
    tenant_id: TenantId, faq_id: uuid.UUID, body: FaqUpdate, uow: UowDep
) -> FaqPublic:
    return await handlers.update_faq(tenant_id, faq_id, body, uow)


@router.delete("/faqs/{faq_id}", status_code=204, dependencies=[AdminRole], tags=["faqs"])
async def delete_faq(tenant_id: TenantId, faq_id: uuid.UUID, uow: UowDep) -> None:
    await handlers.delete_faq(tenant_id, faq_id, uow)


# -- offers ---------------------------------------------------------------------------------


@router.post("/offers", status_code=201, dependencies=[AdminRole], tags=["offers"])
async def create_offer(tenant_id: TenantId, body: OfferCreate, uow: UowDep) -> OfferPublic:
    return await handlers.create_offer(tenant_id, body, uow)


@router.get("/offers", dependencies=[ServiceOrViewer], tags=["offers"])
async def list_offers(
    tenant_id: TenantId, uow: UowDep, limit: Limit = MAX_LIMIT
) -> Page[OfferPublic]:
    return Page(items=await handlers.list_offers(tenant_id, uow, limit=limit))


@router.get("/offers/{offer_id}", dependencies=[ServiceOrViewer], tags=["offers"])
async def get_offer(tenant_id: TenantId, offer_id: uuid.UUID, uow: UowDep) -> OfferPublic:
    return await handlers.get_offer(tenant_id, offer_id, uow)


@router.patch("/offers/{offer_id}", dependencies=[AdminRole], tags=["offers"])
async def update_offer(
    tenant_id: TenantId, offer_id: uuid.UUID, body: OfferUpdate, uow: UowDep
) -> OfferPublic:
    return await handlers.update_offer(tenant_id, offer_id, body, uow)


@router.delete("/offers/{offer_id}", status_code=204, dependencies=[AdminRole], tags=["offers"])
async def delete_offer(tenant_id: TenantId, offer_id: uuid.UUID, uow: UowDep) -> None:
    await handlers.delete_offer(tenant_id, offer_id, uow)


# -- bulk import ----------------------------------------------------------------------------


@router.post(
    "/import",
    dependencies=[AdminRole],
    tags=["import"],
    responses={413: {"model": Problem}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_catalog(
    tenant_id: TenantId,
    request: Request,
    uow: UowDep,
    kind: Annotated[EntityKind | None, Query(description="What a CSV body holds.")] = None,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> ImportReport:
    """A whole catalogue as JSON (`{"products": [...], "faqs": [...], "offers": [...]}`) or one
    kind as CSV. Every row is validated first; any bad row rejects the file (422, every
    problem listed by CSV line or JSON path) and nothing is written. Rows upsert by sku, FAQ
    key and offer code, so re-importing a file changes nothing."""
    raw = await _read_limited(request, MAX_IMPORT_BYTES)
    content_type = request.headers.get("content-type")
    parsed = await run_in_threadpool(
        parse_catalog, raw, filename=filename, content_type=content_type, kind=kind
    )
    return await handlers.import_catalog(tenant_id, parsed, uow)


# -- helpers --------------------------------------------------------------------------------


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to be over `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ImportTooLargeError(limit)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ImportTooLargeError(limit)
    return bytes(body)


def _uuid_list(ids: str) -> list[uuid.UUID]:
    parts = [part.strip() for part in ids.split(",") if part.strip()]
    if not parts or len(parts) > MAX_LIMIT:
        raise InvalidIdsError(f"give between 1 and {MAX_LIMIT} product ids")
    try:
        return [uuid.UUID(part) for part in parts]
    except ValueError as error:
        raise InvalidIdsError(f"not a product id: {error}") from error
