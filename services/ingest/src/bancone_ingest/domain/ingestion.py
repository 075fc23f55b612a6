"""An ingestion job's life: its states, its progress, and the failures that end it.

queued → extracting → chunking → embedding → indexed, or failed with a reason (and a hint
when the operator can do something about it). `indexed` and `failed` are final; a job found
in any other state after a restart is picked up again from extraction (its points are
deterministic, so nothing is indexed twice).
"""

from __future__ import annotations

from typing import Final, Literal

JobState = Literal["queued", "extracting", "chunking", "embedding", "indexed", "failed"]
JOB_STATES: Final[tuple[JobState, ...]] = (
    "queued",
    "extracting",
    "chunking",
    "embedding",
    "indexed",
    "failed",
)
FINAL_STATES: Final[frozenset[JobState]] = frozenset({"indexed", "failed"})


class IngestionFailedError(Exception):
    """A document that cannot be indexed as it is: the job ends `failed` with this reason."""

    reason = "the document could not be read"
    hint: str | None = None

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.reason)
        self.detail = detail


class EncryptedDocumentError(IngestionFailedError):
    reason = "the document is encrypted"
    hint = "remove the password protection and upload it again"


class CorruptDocumentError(IngestionFailedError):
    reason = "the document is damaged or not a valid file of its type"
    hint = "export it again from the program that made it and upload the new file"


class NoTextFoundError(IngestionFailedError):
    reason = "no text found"
    hint = (
        "the document has no text layer (a scanned PDF or an image): run it through OCR, "
        "or upload the text as DOCX, Markdown or plain text"
    )


def is_final(state: JobState) -> bool:
    return state in FINAL_STATES
