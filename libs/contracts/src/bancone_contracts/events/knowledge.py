"""``bancone.knowledge.v1``: a document's ingestion job moved on (state and progress, or result).

The ingest publishes one event per state change and per batch of chunks embedded, through its
outbox in the same transaction as the job row, so a console or an integrator can draw a
progress bar and learn why a document failed. Keyed by ``tenant_id:document_id``: one
document's jobs stay in order.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from bancone_contracts import topics
from bancone_contracts.common import ContractModel
from bancone_contracts.envelope import Envelope

IngestionState = Literal["queued", "extracting", "chunking", "embedding", "indexed", "failed"]
"""Where a job is: ``indexed`` and ``failed`` are final."""


class IngestionProgress(ContractModel):
    """One ingestion job of one version of a document, as it stands."""

    document_id: str = Field(min_length=1, examples=["5b0b6f0e-2f5e-4e0c-9d0a-5b3c0e6f7a10"])
    job_id: str = Field(min_length=1, examples=["0c1e7a52-8d8a-4f4e-9a57-6f1b2f9d1c2a"])
    version: int = Field(ge=1, description="The document version this job indexes.")
    title: str = Field(examples=["Warranty terms"])
    state: IngestionState
    reason: str | None = Field(
        default=None,
        description="Why the job failed (``failed`` only).",
        examples=["no text found"],
    )
    hint: str | None = Field(
        default=None,
        description="What the operator can do about a failure.",
        examples=["the PDF looks scanned: run it through OCR and upload it again"],
    )
    pages_done: int = Field(default=0, ge=0)
    pages_total: int | None = Field(default=None, ge=0, description="Pages (PDF) once known.")
    chunks_done: int = Field(default=0, ge=0)
    chunks_total: int | None = Field(default=None, ge=0, description="Chunks once chunked.")


class KnowledgeIngestionUpdated(Envelope[IngestionProgress]):
    """A document ingestion job changed state or made progress; keyed by tenant_id:document_id."""

    topic: ClassVar[str] = topics.KNOWLEDGE
    type: Literal["knowledge.ingestion.updated"] = "knowledge.ingestion.updated"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: IngestionProgress) -> str:
        return topics.entity_key(tenant_id, data.document_id)
