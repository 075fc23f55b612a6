"""The ingest's document API under `/v1/tenants/{tenant_id}/`: upload, replace, list, read and
delete documents, and follow their ingestion jobs.

Uploads are `multipart/form-data` with a `file` part (and an optional `title`). The size limit
is checked on the declared length before the body is parsed, then on the bytes read, so an
oversized file is a 413 however it is sent. `POST …/documents/from-url` fetches a document
instead, if the tenant's knowledge settings (`…/knowledge-settings`) allow it: 403 when off,
422 for a URL refused (private address, at any redirect) or not fetchable. Refusals are RFC 9457 problems: 413 too large,
415 unsupported type, 422 empty, 404 unknown document or job (`entrypoints/http.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request, Response
from pydantic import AnyHttpUrl, BaseModel, Field
from starlette.datastructures import UploadFile

from bancone_ingest import document_handlers as handlers
from bancone_ingest.adapters.tables import IngestionJobRecord
from bancone_ingest.document_handlers import (
    DocumentDeps,
    DocumentState,
    KnowledgeSettings,
    Upload,
)
from bancone_ingest.domain.ingestion import JobState
from bancone_ingest.domain.uploads import (
    DocumentFormat,
    DocumentTooLargeError,
    EmptyDocumentError,
)
from bancone_kit.http.auth import AdminRole, Viewer
from bancone_kit.http.problems import Problem

_MULTIPART_OVERHEAD = 64 * 1024
"""Room for the multipart framing and the title field on top of the file's own bytes."""
_READ_SIZE = 1024 * 1024


class JobOut(BaseModel):
    job_id: str
    document_id: str
    version: int
    state: JobState
    reason: str | None = Field(default=None, description="Why it failed (`failed` only).")
    hint: str | None = Field(default=None, description="What to do about the failure.")
    pages_done: int
    pages_total: int | None
    chunks_done: int
    chunks_total: int | None
    created_at: datetime
    updated_at: datetime


class DocumentOut(BaseModel):
    document_id: str
    title: str
    filename: str
    format: DocumentFormat
    size_bytes: int
    version: int = Field(description="The latest version uploaded.")
    indexed_version: int | None = Field(description="The version search answers from.")
    state: JobState | None = Field(description="The state of the latest version's job.")
    job: JobOut | None
    created_at: datetime
    updated_at: datetime


class UrlUpload(BaseModel):
    url: AnyHttpUrl = Field(description="An http(s) URL on a public address.")
    title: str | None = Field(default=None, max_length=300)


class KnowledgeSettingsBody(BaseModel):
    allow_url_fetch: bool = Field(
        description="Whether documents may be fetched from URLs (off by default)."
    )


class DocumentList(BaseModel):
    documents: list[DocumentOut]


def _job_out(job: IngestionJobRecord) -> JobOut:
    return JobOut.model_validate(job, from_attributes=True)


def _document_out(state: DocumentState) -> DocumentOut:
    d, job = state.document, state.job
    return DocumentOut(
        document_id=d.document_id,
        title=d.title,
        filename=d.filename,
        format=cast(DocumentFormat, d.format),
        size_bytes=d.size_bytes,
        version=d.version,
        indexed_version=d.indexed_version,
        state=cast(JobState, job.state) if job is not None else None,
        job=_job_out(job) if job is not None else None,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


async def _deps(request: Request) -> DocumentDeps:
    return cast(DocumentDeps, request.app.state.documents)


DocumentsDep = Annotated[DocumentDeps, Depends(_deps)]

router = APIRouter(
    prefix="/v1/tenants/{tenant_id}",
    tags=["documents"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
        503: {"model": Problem},
    },
)
"""Reading the tenant's documents and jobs takes a viewer of the tenant; uploading, replacing
and deleting an admin (the guards of `bancone_kit.http.auth`)."""

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "title": {"type": "string", "maxLength": 300},
                    },
                }
            }
        },
    }
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem},
    415: {"model": Problem},
}


async def _read_upload(request: Request, max_bytes: int) -> Upload:
    """The `file` part (and `title`) of a multipart body, refusing oversize before parsing."""
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isdigit()
        and int(declared) > max_bytes + _MULTIPART_OVERHEAD
    ):
        raise DocumentTooLargeError(f"the document is over {max_bytes} bytes")
    async with request.form(max_files=1, max_fields=4) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise EmptyDocumentError("no `file` part in the multipart body")
        data = bytearray()
        while chunk := await file.read(_READ_SIZE):
            data.extend(chunk)
            if len(data) > max_bytes:
                raise DocumentTooLargeError(f"the document is over {max_bytes} bytes")
        title = form.get("title")
        return Upload(
            filename=file.filename or "",
            content_type=file.content_type,
            data=bytes(data),
            title=title if isinstance(title, str) else None,
        )


@router.post(
    "/documents",
    dependencies=[AdminRole],
    status_code=202,
    response_model=DocumentOut,
    openapi_extra=_UPLOAD_BODY,
    responses=_UPLOAD_ERRORS,
)
async def upload_document(tenant_id: str, request: Request, deps: DocumentsDep) -> DocumentOut:
    """Store a document and queue its ingestion; follow it at `job` or `/ingestion-jobs/{id}`."""
    upload = await _read_upload(request, deps.max_bytes)
    return _document_out(await handlers.upload_document(tenant_id, upload, deps))


@router.put(
    "/documents/{document_id}",
    dependencies=[AdminRole],
    status_code=202,
    response_model=DocumentOut,
    openapi_extra=_UPLOAD_BODY,
    responses=_UPLOAD_ERRORS,
)
async def replace_document(
    tenant_id: str, document_id: str, request: Request, deps: DocumentsDep
) -> DocumentOut:
    """Upload a new version: search keeps answering from the old one until the new one is
    indexed, then only from the new one."""
    upload = await _read_upload(request, deps.max_bytes)
    state = await handlers.upload_document(tenant_id, upload, deps, replacing=document_id)
    return _document_out(state)


@router.get("/documents", dependencies=[Viewer], response_model=DocumentList)
async def list_documents(tenant_id: str, deps: DocumentsDep) -> DocumentList:
    """The tenant's documents with the state of their latest ingestion."""
    states = await handlers.list_documents(tenant_id, deps)
    return DocumentList(documents=[_document_out(s) for s in states])


@router.get("/documents/{document_id}", dependencies=[Viewer], response_model=DocumentOut)
async def get_document(tenant_id: str, document_id: str, deps: DocumentsDep) -> DocumentOut:
    return _document_out(await handlers.get_document(tenant_id, document_id, deps))


@router.delete(
    "/documents/{document_id}",
    dependencies=[AdminRole],
    status_code=204,
    response_class=Response,
)
async def delete_document(tenant_id: str, document_id: str, deps: DocumentsDep) -> Response:
    """Remove the document: its passages from search, its originals, its rows."""
    await handlers.delete_document(tenant_id, document_id, deps)
    return Response(status_code=204)


@router.get("/ingestion-jobs/{job_id}", dependencies=[Viewer], response_model=JobOut)
async def get_job(tenant_id: str, job_id: str, deps: DocumentsDep) -> JobOut:
    """One ingestion job: state, progress, and the reason when it failed."""
    return _job_out(await handlers.get_job(tenant_id, job_id, deps))


@router.post(
    "/documents/from-url",
    dependencies=[AdminRole],
    status_code=202,
    response_model=DocumentOut,
    responses=_UPLOAD_ERRORS,
)
async def upload_from_url(tenant_id: str, body: UrlUpload, deps: DocumentsDep) -> DocumentOut:
    """Fetch a web page or file and queue its ingestion, like an upload. Only when the tenant
    allows URL fetching; never a private, loopback or link-local address, after redirects too."""
    state = await handlers.upload_from_url(tenant_id, str(body.url), deps, title=body.title)
    return _document_out(state)


@router.get("/knowledge-settings", dependencies=[Viewer], response_model=KnowledgeSettingsBody)
async def get_knowledge_settings(tenant_id: str, deps: DocumentsDep) -> KnowledgeSettingsBody:
    found = await handlers.get_settings(tenant_id, deps)
    return KnowledgeSettingsBody(allow_url_fetch=found.allow_url_fetch)


@router.put("/knowledge-settings", dependencies=[AdminRole], response_model=KnowledgeSettingsBody)
async def set_knowledge_settings(
    tenant_id: str, body: KnowledgeSettingsBody, deps: DocumentsDep
) -> KnowledgeSettingsBody:
    await handlers.set_settings(tenant_id, KnowledgeSettings(body.allow_url_fetch), deps)
    return body
