"""The tables of selling: the stock ledger, orders and their lines, invoices, per-tenant
counters, invoice settings and the payment notices already handled. Same rules as
`tables.py`: every key starts with `tenant_id`."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from bancone_catalog.adapters.tables import CatalogTable
from bancone_kit.clock import utcnow
from bancone_kit.db.types import UtcDateTime


def _tenant() -> Any:
    return Field(sa_column=sa.Column("tenant_id", sa.String(63), primary_key=True))


def _uuid_key(name: str = "id") -> Any:
    return Field(default_factory=uuid.uuid4, sa_column=sa.Column(name, sa.Uuid(), primary_key=True))


def _at() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False))


def _money() -> Any:
    return Field(sa_column=sa.Column(sa.Numeric(12, 2), nullable=False))


class StockMovementRecord(CatalogTable, table=True):
    """One change of a sku's stock; the sum of a sku's deltas is its stock."""

    __tablename__ = "stock_movements"
    __table_args__ = (sa.Index("ix_stock_movements_tenant_sku", "tenant_id", "sku", "at"),)

    tenant_id: str = _tenant()
    id: uuid.UUID = _uuid_key()
    sku: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    delta: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    order_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid()))
    at: datetime = _at()


class OrderRecord(CatalogTable, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "number", name="uq_orders_tenant_number"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_orders_tenant_idempotency"),
        sa.Index("ix_orders_tenant_customer", "tenant_id", "customer_id", "created_at"),
        sa.Index("ix_orders_status_reserved", "status", "reserved_until"),
    )

    tenant_id: str = _tenant()
    id: uuid.UUID = _uuid_key()
    number: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    idempotency_key: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    customer_id: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    phone_number_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    conversation_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(10)))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    total: Decimal = _money()
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    fulfilment: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    payment_url: str | None = Field(default=None, sa_column=sa.Column(sa.String(1000)))
    tracking_code: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    invoice_number: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    invoice_issued_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime()))
    reserved_until: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime()))
    created_at: datetime = _at()
    updated_at: datetime = _at()


class OrderLineRecord(CatalogTable, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name="fk_order_lines_order",
            ondelete="CASCADE",
        ),
    )

    tenant_id: str = _tenant()
    order_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    position: int = Field(sa_column=sa.Column(sa.Integer(), primary_key=True))
    sku: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    product_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    variant: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    quantity: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    unit_price: Decimal = _money()
    line_total: Decimal = _money()


class InvoiceRecord(CatalogTable, table=True):
    """An issued invoice: the frozen `InvoiceDocument` it prints."""

    __tablename__ = "invoices"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "number", name="uq_invoices_tenant_number"),)

    tenant_id: str = _tenant()
    order_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    number: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    issued_at: datetime = _at()
    document: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))


class CounterRecord(CatalogTable, table=True):
    """A per-tenant sequence (order numbers, invoice numbers per year), advanced under its row
    lock in the transaction that uses the number: a rollback gives the number back."""

    __tablename__ = "tenant_counters"

    tenant_id: str = _tenant()
    name: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    value: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))


class InvoiceSettingsRecord(CatalogTable, table=True):
    __tablename__ = "invoice_settings"

    tenant_id: str = _tenant()
    legal_name: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    vat_id: str = Field(default="", sa_column=sa.Column(sa.String(40), nullable=False))
    address: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False))
    email: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    vat_rate: Decimal = Field(sa_column=sa.Column(sa.Numeric(5, 2), nullable=False))
    reservation_minutes: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    max_line_quantity: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    updated_at: datetime = _at()


class PaymentEventRecord(CatalogTable, table=True):
    """A provider's notice already applied: the same `event_id` again changes nothing."""

    __tablename__ = "payment_events"

    tenant_id: str = _tenant()
    provider: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    event_id: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    order_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    received_at: datetime = _at()
