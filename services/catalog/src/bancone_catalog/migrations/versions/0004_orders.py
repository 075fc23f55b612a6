"""Selling: product variants, the stock ledger, orders and lines, invoices, per-tenant counters,
invoice settings and applied payment notices. Existing stock gets an opening `received`
movement so that every sku's ledger sums to its stock from the start.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 23:00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant_id", sa.String(63), nullable=False)


def _money(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(12, 2), nullable=False)


def upgrade() -> None:
    op.create_table(
        "product_variants",
        _tenant(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _money("price"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_product_variants"),
        sa.UniqueConstraint("tenant_id", "sku", name="uq_product_variants_tenant_sku"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_product_variants_product",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_product_variants_tenant_product", "product_variants", ["tenant_id", "product_id"]
    )

    movements = op.create_table(
        "stock_movements",
        _tenant(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_stock_movements"),
    )
    op.create_index(
        "ix_stock_movements_tenant_sku", "stock_movements", ["tenant_id", "sku", "at"]
    )

    op.create_table(
        "orders",
        _tenant(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(100), nullable=False),
        sa.Column("phone_number_id", sa.String(100), nullable=True),
        sa.Column("conversation_id", sa.String(100), nullable=True),
        sa.Column("language", sa.String(10), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _money("total"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fulfilment", sa.JSON(), nullable=True),
        sa.Column("payment_url", sa.String(1000), nullable=True),
        sa.Column("tracking_code", sa.String(100), nullable=True),
        sa.Column("invoice_number", sa.String(32), nullable=True),
        sa.Column("invoice_issued_at", TIMESTAMP, nullable=True),
        sa.Column("reserved_until", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_orders"),
        sa.UniqueConstraint("tenant_id", "number", name="uq_orders_tenant_number"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_orders_tenant_idempotency"),
    )
    op.create_index(
        "ix_orders_tenant_customer", "orders", ["tenant_id", "customer_id", "created_at"]
    )
    op.create_index("ix_orders_status_reserved", "orders", ["status", "reserved_until"])

    op.create_table(
        "order_lines",
        _tenant(),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("variant", sa.String(200), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("unit_price"),
        _money("line_total"),
        sa.PrimaryKeyConstraint("tenant_id", "order_id", "position", name="pk_order_lines"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["orders.tenant_id", "orders.id"],
            name="fk_order_lines_order",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "invoices",
        _tenant(),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "order_id", name="pk_invoices"),
        sa.UniqueConstraint("tenant_id", "number", name="uq_invoices_tenant_number"),
    )
    op.create_table(
        "tenant_counters",
        _tenant(),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_tenant_counters"),
    )
    op.create_table(
        "invoice_settings",
        _tenant(),
        sa.Column("legal_name", sa.String(200), nullable=False),
        sa.Column("vat_id", sa.String(40), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
        sa.Column("reservation_minutes", sa.Integer(), nullable=False),
        sa.Column("max_line_quantity", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_invoice_settings"),
    )
    op.create_table(
        "payment_events",
        _tenant(),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "provider", "event_id", name="pk_payment_events"),
    )

    stocked = op.get_bind().execute(
        sa.text("SELECT tenant_id, sku, stock FROM products WHERE stock <> 0")
    )
    now = datetime.now(UTC)
    opening = [
        {"tenant_id": t, "id": uuid.uuid4(), "sku": s, "kind": "received", "delta": q, "at": now}
        for t, s, q in stocked
    ]
    if opening:
        op.bulk_insert(movements, opening)


def downgrade() -> None:
    for table in (
        "payment_events",
        "invoice_settings",
        "tenant_counters",
        "invoices",
        "order_lines",
        "orders",
        "stock_movements",
        "product_variants",
    ):
        op.drop_table(table)
