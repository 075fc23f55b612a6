"""What an uploaded file is, and the refusals that need no parsing: a type we cannot read (415),
an empty file (422), a file over the size limit (413).

The type is decided from the file name and the declared content type, then checked against
the first bytes for the binary formats, so a renamed file is refused rather than failing later
inside a parser.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

DocumentFormat = Literal["pdf", "docx", "html", "markdown", "text"]
FORMATS: tuple[DocumentFormat, ...] = ("pdf", "docx", "html", "markdown", "text")

_BY_EXTENSION: dict[str, DocumentFormat] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
_BY_MEDIA_TYPE: dict[str, DocumentFormat] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
}
MEDIA_TYPES: dict[DocumentFormat, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "markdown": "text/markdown",
    "text": "text/plain",
}
_MAGIC: dict[DocumentFormat, bytes] = {"pdf": b"%PDF-", "docx": b"PK\x03\x04"}


class UploadRefusedError(ValueError):
    """An upload refused before any ingestion starts; nothing is stored."""


class UnsupportedFormatError(UploadRefusedError):
    """Not a PDF, DOCX, HTML, Markdown or plain-text file."""


class EmptyDocumentError(UploadRefusedError):
    """A file with no bytes, or only whitespace."""


class DocumentTooLargeError(UploadRefusedError):
    """A file over the configured size limit."""


def detect_format(filename: str, content_type: str | None, head: bytes) -> DocumentFormat:
    """The format of an upload; raises UnsupportedFormatError or EmptyDocumentError."""
    if not head.strip():
        raise EmptyDocumentError("the document is empty")
    suffix = PurePath(filename or "").suffix.lower()
    media_type = (content_type or "").split(";")[0].strip().lower()
    found = _BY_EXTENSION.get(suffix) or _BY_MEDIA_TYPE.get(media_type)
    if found is None:
        shown = suffix or media_type or "unknown"
        raise UnsupportedFormatError(
            f"unsupported document type {shown!r}: upload PDF, DOCX, HTML, Markdown or text"
        )
    magic = _MAGIC.get(found)
    if magic is not None and not head.lstrip().startswith(magic):
        raise UnsupportedFormatError(f"the file is named as {found.upper()} but is not one")
    if magic is None and b"\x00" in head[:4096]:
        raise UnsupportedFormatError("the file is binary, not text")
    return found


def title_from_filename(filename: str) -> str:
    """A readable default title: the file name without its extension, separators as spaces."""
    stem = PurePath(filename or "document").stem
    return " ".join(stem.replace("_", " ").replace("-", " ").split()) or "document"


class DocumentNotFoundError(LookupError):
    """No such document for this tenant (another tenant's id finds nothing either)."""


class JobNotFoundError(LookupError):
    """No such ingestion job for this tenant."""


class UrlFetchDisabledError(PermissionError):
    """The tenant has not allowed documents to be fetched from URLs (its setting is off)."""


class UrlRefusedError(UploadRefusedError):
    """A URL the ingest will not fetch: not http(s), not https on a public address, or a
    redirect (at any hop) to a private, loopback or link-local one."""


class UrlFetchError(UploadRefusedError):
    """The URL could not be fetched: unreachable, timed out, an error status, too many
    redirects."""


def filename_for_url(path: str, media_type: str | None) -> str:
    """A file name for a fetched document: the URL path's last segment, with the extension of
    the format its content type declares (the server's word beats the URL's look), so that
    `detect_format` decides from the content type when it names a readable one."""
    stem = PurePath(path.rstrip("/") or "/").name or "index"
    found = _BY_MEDIA_TYPE.get((media_type or "").split(";")[0].strip().lower())
    if found is None:
        return stem
    extension = next(e for e, f in _BY_EXTENSION.items() if f == found)
    return f"{PurePath(stem).stem or 'index'}{extension}"
