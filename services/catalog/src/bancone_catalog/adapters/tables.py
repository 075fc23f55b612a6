"""The catalog's tables. Every primary key and index starts with `tenant_id`, so each lookup
is a tenant's own range and no query can reach another tenant's rows by id alone.

The `*_folded` columns hold lower-cased, accent-free copies of the searchable text (see
`domain.search`), written with the row, so search is a plain `LIKE` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from bancone_kit.clock import utcnow
from bancone_kit.db.types import UtcDateTime


def _tenant_column() -> Any:
    return Field(sa_column=sa.Column("tenant_id", sa.String(63), primary_key=True))


def _id_column() -> Any:
    return Field(default_factory=uuid.uuid4, sa_column=sa.Column("id", sa.Uuid(), primary_key=True))


def _created_column() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False))


def _updated_column() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False))


class CatalogTable(SQLModel, registry=registry()):
    """Base of the catalog's tables: their own metadata (`CatalogTable.metadata`), which
    `migrations/env.py` hands to the kit."""


class ProductRecord(CatalogTable, table=True):
    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "sku", name="uq_products_tenant_sku"),
        sa.Index("ix_products_tenant_category_price", "tenant_id", "category", "price"),
        sa.Index("ix_products_tenant_price", "tenant_id", "price"),
        sa.Index("ix_products_tenant_colour", "tenant_id", "colour_folded"),
    )

    tenant_id: str = _tenant_column()
    id: uuid.UUID = _id_column()
    sku: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    category: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    price: Decimal = Field(sa_column=sa.Column(sa.Numeric(12, 2), nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    stock: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean(), nullable=False))
    attributes: dict[str, str] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    tags: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    name_folded: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    keywords_folded: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    description_folded: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    colour_folded: str | None = Field(default=None, sa_column=sa.Column(sa.String(40)))
    translations: dict[str, dict[str, str]] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    created_at: datetime = _created_column()
    updated_at: datetime = _updated_column()


class FaqRecord(CatalogTable, table=True):
    __tablename__ = "faqs"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "key", name="uq_faqs_tenant_key"),)

    tenant_id: str = _tenant_column()
    id: uuid.UUID = _id_column()
    key: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    question: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    answer: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    language: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    translations: dict[str, dict[str, str]] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    created_at: datetime = _created_column()
    updated_at: datetime = _updated_column()


class OfferRecord(CatalogTable, table=True):
    __tablename__ = "offers"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "code", name="uq_offers_tenant_code"),)

    tenant_id: str = _tenant_column()
    id: uuid.UUID = _id_column()
    code: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False))
    discount_percent: Decimal = Field(sa_column=sa.Column(sa.Numeric(5, 2), nullable=False))
    product_skus: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    valid_from: date | None = Field(default=None, sa_column=sa.Column(sa.Date()))
    valid_until: date | None = Field(default=None, sa_column=sa.Column(sa.Date()))
    translations: dict[str, dict[str, str]] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    created_at: datetime = _created_column()
    updated_at: datetime = _updated_column()


class VariantRecord(CatalogTable, table=True):
    """A product's variant: its own sku (unique in the tenant, across products too: checked by
    the handlers), price and stock. Deleting the product deletes its variants."""

    __tablename__ = "product_variants"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "sku", name="uq_product_variants_tenant_sku"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_product_variants_product",
            ondelete="CASCADE",
        ),
        sa.Index("ix_product_variants_tenant_product", "tenant_id", "product_id"),
    )

    tenant_id: str = _tenant_column()
    id: uuid.UUID = _id_column()
    product_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    sku: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    label: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    attributes: dict[str, str] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    price: Decimal = Field(sa_column=sa.Column(sa.Numeric(12, 2), nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    stock: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean(), nullable=False))
    created_at: datetime = _created_column()
    updated_at: datetime = _updated_column()
