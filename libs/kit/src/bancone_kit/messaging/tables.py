"""Tables every service that publishes or consumes events carries in its own database.

They are created by each service's Alembic history (see `bancone_kit.db.migration_ops`), never by
`create_all`, so the schema of the outbox and inbox evolves with the service that owns it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bancone_kit.clock import utcnow


class OutboxRecord(SQLModel, table=True):
    """An event written in the same transaction as the business change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_unsent", "sent_at", "seq"),)

    seq: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
    )
    event_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False, unique=True))
    topic: str = Field(sa_column=sa.Column(sa.String(249), nullable=False))
    key: str = Field(sa_column=sa.Column(sa.String(512), nullable=False))
    headers: dict[str, str] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    payload: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
    sent_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )


class InboxRecord(SQLModel, table=True):
    """An event id a consumer group has durably processed; its presence makes redelivery a no-op."""

    __tablename__ = "inbox"

    consumer: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    event_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    processed_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False)
    )
