"""Catalog tables: products, FAQs and offers, keyed and indexed by tenant first.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-26 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("name_folded", sa.Text(), nullable=False),
        sa.Column("keywords_folded", sa.Text(), nullable=False),
        sa.Column("description_folded", sa.Text(), nullable=False),
        sa.Column("colour_folded", sa.String(40), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_products"),
        sa.UniqueConstraint("tenant_id", "sku", name="uq_products_tenant_sku"),
    )
    op.create_index(
        "ix_products_tenant_category_price", "products", ["tenant_id", "category", "price"]
    )
    op.create_index("ix_products_tenant_price", "products", ["tenant_id", "price"])
    op.create_index("ix_products_tenant_colour", "products", ["tenant_id", "colour_folded"])

    op.create_table(
        "faqs",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_faqs"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_faqs_tenant_key"),
    )

    op.create_table(
        "offers",
        sa.Column("tenant_id", sa.String(63), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("discount_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("product_skus", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_offers"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_offers_tenant_code"),
    )


def downgrade() -> None:
    op.drop_table("offers")
    op.drop_table("faqs")
    op.drop_index("ix_products_tenant_colour", table_name="products")
    op.drop_index("ix_products_tenant_price", table_name="products")
    op.drop_index("ix_products_tenant_category_price", table_name="products")
    op.drop_table("products")
