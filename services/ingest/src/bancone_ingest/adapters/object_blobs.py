"""The blob store on an S3-compatible bucket, through obstore (Rust's `object_store`).

`BANCONE_INGEST_BLOB_STORE=s3://bucket/prefix` selects it; the endpoint (MinIO, Ceph, R2...),
region and keys come from the `BANCONE_INGEST_BLOB_S3_*` settings, else from the standard
`AWS_*` variables or the pod's cloud identity. The same adapter runs on obstore's in-memory
store in the tests.
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
    def from_url(
        cls,
        url: str,
        *,
        endpoint: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> ObjectStoreBlobs:
        """An S3 bucket (and optional key prefix); what is not given comes from AWS_*."""
        if not url.startswith("s3://"):
            raise ValueError(f"not an s3:// URL: {url!r}")
        given = {
            "endpoint": endpoint,
            "region": region,
            "access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
        }
        config: Any = {key: value for key, value in given.items() if value}
        plain_http = bool(endpoint and endpoint.startswith("http://"))
        return cls(S3Store.from_url(url, config=config, client_options={"allow_http": plain_http}))

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
