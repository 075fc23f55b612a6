"""The notifier's tables, created only by its Alembic history (`migrations/versions/0002_*`).

They live in the notifier's own SQLAlchemy registry, not SQLModel's shared one, so a process
that also imports another service's models (the test session, e2e helpers) never sees two
`channels` tables collide. The kit's `outbox`/`inbox` stay in the shared metadata.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from bancone_kit.clock import utcnow


class NotifierTable(SQLModel, registry=registry()):
    """Base of the notifier's tables: their own metadata (`NotifierTable.metadata`)."""


def _when(nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable)


class ChannelRecord(NotifierTable, table=True):
    """The notifier's copy of a WhatsApp channel from `bancone.channel.v1`.

    The access token is kept exactly as it travelled (AES-GCM, bound to the phone_number_id)
    and opened only at send time; `changed_at` (the event time) keeps a replayed older event
    from overwriting a newer one.
    """

    __tablename__ = "channels"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'disabled')", name="ck_channels_status"),
        sa.Index("ix_channels_tenant_id", "tenant_id"),
    )

    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    access_token_ciphertext: str | None = Field(
        default=None, sa_column=sa.Column(sa.Text(), nullable=True)
    )
    key_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    waba_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    display_phone_number: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(32), nullable=True)
    )
    changed_at: datetime = Field(sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class OutboundMessageRecord(NotifierTable, table=True):
    """One outbound message: its claim (`sending`, committed before the Graph API call), the
    send's result and its delivery lifecycle. The primary key is what makes sends at most once."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('sending', 'accepted', 'sent', 'delivered', 'read', 'failed', 'unknown')",
            name="ck_outbound_messages_state",
        ),
        sa.UniqueConstraint("wamid", name="uq_outbound_messages_wamid"),
        sa.Index("ix_outbound_messages_tenant_wamid", "tenant_id", "wamid"),
        sa.Index("ix_outbound_messages_tenant_customer", "tenant_id", "customer_id", "created_at"),
        sa.Index("ix_outbound_messages_state", "state"),
    )

    outbound_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    conversation_id: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(128), nullable=True)
    )
    event_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    content_kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    wamid: str | None = Field(default=None, sa_column=sa.Column(sa.String(256), nullable=True))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    error_code: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    error_title: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(500), nullable=True)
    )
    retryable: bool | None = Field(default=None, sa_column=sa.Column(sa.Boolean(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class DeliveryStatusRecord(NotifierTable, table=True):
    """Every WhatsApp status received, once per (wamid, status) — the dedupe key.

    `outbound_id` is empty while the wamid is unknown (a status racing the send's commit, or a
    message sent by something else); such rows are applied when the send records that wamid.
    `applied` says whether the status moved the lifecycle.
    """

    __tablename__ = "delivery_statuses"
    __table_args__ = (
        sa.Index("ix_delivery_statuses_outbound_id", "outbound_id"),
        sa.Index("ix_delivery_statuses_tenant_received", "tenant_id", "received_at"),
    )

    wamid: str = Field(sa_column=sa.Column(sa.String(256), primary_key=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    outbound_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid(), nullable=True)
    )
    occurred_at: datetime = Field(sa_column=_when())
    received_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    error_code: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    error_title: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(500), nullable=True)
    )
    applied: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False))
