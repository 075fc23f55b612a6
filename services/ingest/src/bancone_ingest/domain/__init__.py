"""Ingest's pure logic: what a catalog entity or a document passage looks like in the index,
how documents are chunked and ingestion jobs move, and how search ranks."""

from bancone_ingest.domain.catalog import CatalogEntity, Faq, Offer, Product, Service
from bancone_ingest.domain.documents import (
    KINDS,
    SEARCHABLE_KINDS,
    EmbeddedText,
    IndexDocument,
    InvalidTenantError,
    Kind,
    Payload,
    build_document,
    checked_tenant_id,
    point_id,
    stock_payload,
)
from bancone_ingest.domain.search import (
    Candidate,
    Hit,
    InvalidQueryError,
    Order,
    SearchQuery,
    fuse,
    is_current,
    rank,
)

__all__ = [
    "KINDS",
    "SEARCHABLE_KINDS",
    "Candidate",
    "CatalogEntity",
    "EmbeddedText",
    "Faq",
    "Hit",
    "IndexDocument",
    "InvalidQueryError",
    "InvalidTenantError",
    "Kind",
    "Offer",
    "Order",
    "Payload",
    "Product",
    "SearchQuery",
    "Service",
    "build_document",
    "checked_tenant_id",
    "fuse",
    "is_current",
    "point_id",
    "rank",
    "stock_payload",
]
