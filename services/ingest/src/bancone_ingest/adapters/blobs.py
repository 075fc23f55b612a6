"""Where uploaded originals are kept: a port, and the directory adapter `make run` uses.

Production points `BANCONE_INGEST_BLOB_STORE` at an S3-compatible bucket
(`adapters/object_blobs.py`); the key layout is the same in both:
`<tenant>/<document>/v<version>`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol


class BlobNotFoundError(LookupError):
    """No blob under that key."""


class BlobStore(Protocol):
    """Keeps originals by key; keys are `/`-separated and made only by the ingest."""

    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete_prefix(self, prefix: str) -> None:
        """Remove every blob under `prefix/` (a document's versions); a no-op when none."""
        ...


def blob_key(tenant_id: str, document_id: str, version: int) -> str:
    return f"{tenant_id}/{document_id}/v{version}"


def document_prefix(tenant_id: str, document_id: str) -> str:
    return f"{tenant_id}/{document_id}"


class DirectoryBlobStore:
    """Blobs as files under one directory; a write lands whole (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if not path.is_relative_to(self._root) or path == self._root:
            raise ValueError(f"invalid blob key {key!r}")
        return path

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, self._path(key), data)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as error:
            raise BlobNotFoundError(key) from error

    async def delete_prefix(self, prefix: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._path(prefix), True)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
