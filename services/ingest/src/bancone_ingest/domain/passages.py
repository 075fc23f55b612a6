"""Passages of uploaded documents as index points, and the citation a reader is shown.

A passage's point id derives from tenant, document, version and position, so embedding the
same version again (a job resumed after a restart) overwrites its points instead of adding
copies. A new version's points are written inactive and switched on together with the removal
of the previous version's (`adapters/vectors.py`), so search never mixes two versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from bancone_ingest.domain.chunking import Chunk
from bancone_ingest.domain.documents import IndexDocument, checked_tenant_id
from bancone_ingest.domain.keywords import terms_of
from bancone_ingest.domain.language import UNDETERMINED, guess_language


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    """Which document, which version of it, and what to call it in a citation."""

    tenant_id: str
    document_id: str
    version: int
    title: str
    language: str = UNDETERMINED
    """The whole document's language: a passage too short to tell takes it."""


def passage_id(document_id: str, version: int, index: int) -> str:
    """The entity id of one passage (unique per version, so versions never overwrite)."""
    return f"{document_id}:v{version}:{index}"


def citation(title: str, page: int | None, section: str | None) -> str:
    """How an answer names its source: "Warranty terms, p. 2" or "Care guide, § Washing"."""
    if page is not None:
        return f"{title}, p. {page}"
    if section:
        return f"{title}, § {section}"
    return title


def passage_document(source: DocumentVersion, chunk: Chunk) -> IndexDocument:
    """The (inactive) index point of one passage; the text embedded names title and section."""
    checked_tenant_id(source.tenant_id)
    entity_id = passage_id(source.document_id, source.version, chunk.index)
    language = guess_language(chunk.text)
    if language == UNDETERMINED:
        language = source.language
    heading = " — ".join(part for part in (source.title, chunk.section) if part)
    payload = {
        "tenant_id": source.tenant_id,
        "kind": "document",
        "entity_id": entity_id,
        "document_id": source.document_id,
        "version": source.version,
        "chunk": chunk.index,
        "title": source.title,
        "text": chunk.text,
        "page": chunk.page,
        "section": chunk.section,
        "language": language,
        "citation": citation(source.title, chunk.page, chunk.section),
        "active": False,
        "in_stock": True,
        "keywords": sorted(terms_of([source.title, chunk.section or "", chunk.text])),
    }
    return IndexDocument(
        source.tenant_id, "document", entity_id, f"{heading}. {chunk.text}", payload
    )
