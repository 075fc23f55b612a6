"""The gateway's tables (created only by its Alembic history, `migrations/versions/`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from bancone_kit.clock import utcnow


class GatewayTable(SQLModel, registry=registry()):
    """Base of the gateway's tables: their own metadata (`GatewayTable.metadata`), which
    `migrations/env.py` hands to the kit."""


class TenantRecord(GatewayTable, table=True):
    """A business workspace; every other tenant-owned row points here."""

    __tablename__ = "tenants"

    id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )


class ChannelRecord(GatewayTable, table=True):
    """A WhatsApp business number routed to a tenant; secrets sealed (`kid:base64`)."""

    __tablename__ = "channels"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'disabled')", name="ck_channels_status"),
        sa.Index("ix_channels_tenant_id", "tenant_id"),
        sa.Index("ix_channels_verify_token_digest", "verify_token_digest"),
    )

    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    tenant_id: str = Field(
        sa_column=sa.Column(
            sa.String(63),
            sa.ForeignKey("tenants.id", ondelete="RESTRICT", name="fk_channels_tenant_id"),
            nullable=False,
        )
    )
    waba_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    display_phone_number: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(32), nullable=True)
    )
    verify_token_sealed: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    verify_token_digest: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(64), nullable=True, index=False)
    )
    """SHA-256 of the verify token: Meta's handshake finds its channel without opening any
    sealed secret (NULL on channels registered before migration 0004 until re-registered)."""
    app_secret_sealed: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    access_token_sealed: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )


class WebhookReceipt(GatewayTable, table=True):
    """One message or status already published: Meta's redelivery of it is dropped.

    `payload` (the normalised event) is kept only when `webhook_keep_payloads` is on. Rows
    older than `webhook_receipt_retention_days` may be pruned (`prune_receipts`); keep them at
    least as long as Meta retries (about 7 days).
    """

    __tablename__ = "webhook_receipts"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('message', 'status', 'update')", name="ck_webhook_receipts_kind"
        ),
        sa.Index("ix_webhook_receipts_tenant_received", "tenant_id", "received_at"),
        sa.Index("ix_webhook_receipts_received_at", "received_at"),
    )

    dedupe_key: str = Field(sa_column=sa.Column(sa.String(512), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    payload: bytes | None = Field(
        default=None, sa_column=sa.Column(sa.LargeBinary(), nullable=True)
    )


class WebhookRejectedItem(GatewayTable, table=True):
    """A webhook message, status or change that could not be normalised: kept raw, with the
    reason, for operators to see and replay (its neighbours in the POST were published).

    `dedupe_key` hashes the raw item, so Meta's redelivery of a body stores it once.
    `tenant_id` is NULL when the item named no number we could route.
    """

    __tablename__ = "webhook_rejected_items"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('message', 'status', 'update', 'change')",
            name="ck_webhook_rejected_items_kind",
        ),
        sa.Index("ix_webhook_rejected_items_tenant_received", "tenant_id", "received_at"),
        sa.Index("ix_webhook_rejected_items_received_at", "received_at"),
    )

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
    )
    dedupe_key: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    tenant_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(63), nullable=True))
    phone_number_id: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(64), nullable=True)
    )
    waba_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    field: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    error: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    raw: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    replayed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    """When a replay validated and published it; None while it is still set aside."""
    replay_attempts: int = Field(
        default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0")
    )
