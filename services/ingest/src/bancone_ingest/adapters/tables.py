"""The ingest's tables: what it last applied to the index per catalog entity, and the uploaded
documents with their ingestion jobs.

The vectors live in Qdrant; `indexed_entities` only remembers, per (tenant, kind, entity), the time
of the last catalog event applied to the index, so an older event arriving late never
overwrites a newer state (see `handlers.py`). Created only by the Alembic history
(`migrations/versions/`), in the ingest's own SQLAlchemy registry,
so a process importing several services' models never sees tables collide.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from bancone_kit.clock import utcnow
from bancone_kit.db.types import UtcDateTime


class IngestTable(SQLModel, registry=registry()):
    """Base of the ingest's tables: their own metadata (`IngestTable.metadata`)."""


class IndexedEntityRecord(IngestTable, table=True):
    """The last catalog event applied to the index for one entity of one tenant.

    `changed_at` is the time of the last applied upsert or delete (the entity's whole state;
    None while only stock changes were seen), `deleted` whether that was a delete (a
    tombstone: an older upsert must not resurrect it). Stock changes are tracked apart
    (`stock_changed_at`, `stock`, `in_stock`) because they rewrite only the stock: an upsert
    older than a stock change is still applied, with the newer stock.
    """

    __tablename__ = "indexed_entities"
    __table_args__ = (
        sa.CheckConstraint(
            "entity_kind IN ('product', 'service', 'faq', 'offer')",
            name="ck_indexed_entities_kind",
        ),
    )

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    entity_kind: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    entity_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    changed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UtcDateTime(), nullable=True)
    )
    deleted: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False))
    stock_changed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UtcDateTime(), nullable=True)
    )
    stock: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    in_stock: bool | None = Field(default=None, sa_column=sa.Column(sa.Boolean(), nullable=True))
    last_event_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False)
    )


class DocumentRecord(IngestTable, table=True):
    """An uploaded document of a tenant: its latest version (the one being ingested or last
    tried) and the version search serves (`indexed_version`, None until one is indexed)."""

    __tablename__ = "documents"

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    document_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    title: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    filename: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    format: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    size_bytes: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    indexed_version: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer(), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False)
    )


class IngestionJobRecord(IngestTable, table=True):
    """One ingestion of one version of a document: its state, progress and failure reason.

    `lease_until` is when a worker's claim lapses: a job left mid-way by a stopped ingest is
    claimed again once it has passed, and resumed.
    """

    __tablename__ = "ingestion_jobs"
    __table_args__ = (
        sa.Index("ix_ingestion_jobs_tenant_document", "tenant_id", "document_id"),
        sa.Index("ix_ingestion_jobs_state", "state"),
        sa.CheckConstraint(
            "state IN ('queued', 'extracting', 'chunking', 'embedding', 'indexed', 'failed')",
            name="ck_ingestion_jobs_state",
        ),
    )

    job_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    document_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    format: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    blob_key: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    state: str = Field(default="queued", sa_column=sa.Column(sa.String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    hint: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    pages_done: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    pages_total: int | None = Field(default=None, sa_column=sa.Column(sa.Integer()))
    chunks_done: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    chunks_total: int | None = Field(default=None, sa_column=sa.Column(sa.Integer()))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    lease_until: datetime | None = Field(
        default=None, sa_column=sa.Column(UtcDateTime(), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False)
    )


class KnowledgeSettingsRecord(IngestTable, table=True):
    """A tenant's knowledge settings; no row = the defaults (URL fetching off)."""

    __tablename__ = "knowledge_settings"

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    allow_url_fetch: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False)
    )
