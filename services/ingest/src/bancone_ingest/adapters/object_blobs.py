"""The blob store on an S3-compatible bucket, through obstore (Rust's `object_store`).

`BANCONE_INGEST_BLOB_STORE=s3://bucket/prefix` selects it; the endpoint and credentials come
from the standard variables the S3 tools share (`AWS_ENDPOINT_URL` for MinIO, Ceph, R2...,
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP` for a plain-HTTP
endpoint), or from the pod's IAM role. The same adapter runs on obstore's in-memory store in
the tests.
"""

from __future__ import annotations

from typing import Any

import obstore
from obstore.store import S3Store

from bancone_ingest.adapters.blobs import BlobNotFoundError


class ObjectStoreBlobs:
    """`BlobStore` over any obstore store (S3 in production)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    @classmethod
    def from_url(cls, url: str) -> ObjectStoreBlobs:
        """An S3 bucket (and optional key prefix), configured from the AWS_* environment."""
        if not url.startswith("s3://"):
            raise ValueError(f"not an s3:// URL: {url!r}")
        return cls(S3Store.from_url(url))

    async def put(self, key: str, data: bytes) -> None:
        await obstore.put_async(self._store, key, data)

    async def get(self, key: str) -> bytes:
        try:
            result = await obstore.get_async(self._store, key)
        except FileNotFoundError as error:  # obstore's NotFoundError is one
            raise BlobNotFoundError(key) from error
        return bytes(await result.bytes_async())

    async def delete_prefix(self, prefix: str) -> None:
        paths: list[str] = []
        async for batch in obstore.list(self._store, prefix=prefix.rstrip("/") + "/"):
            paths.extend(str(meta["path"]) for meta in batch)
        if paths:
            await obstore.delete_async(self._store, paths)
