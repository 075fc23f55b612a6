"""Both blob stores keep, return and forget a document's originals the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from obstore.store import MemoryStore

from bancone_ingest.adapters.blobs import (
    BlobNotFoundError,
    BlobStore,
    DirectoryBlobStore,
    blob_key,
    document_prefix,
)
from bancone_ingest.adapters.object_blobs import ObjectStoreBlobs
from bancone_ingest.bootstrap import build_blob_store
from bancone_ingest.settings import IngestSettings

pytestmark = pytest.mark.unit


@pytest.fixture(params=["directory", "object-store"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "directory":
        return DirectoryBlobStore(tmp_path / "blobs")
    return ObjectStoreBlobs(MemoryStore())


async def test_a_document_s_versions_are_kept_and_deleted_together(blobs: BlobStore) -> None:
    await blobs.put(blob_key("shop-a", "doc-1", 1), b"first")
    await blobs.put(blob_key("shop-a", "doc-1", 2), b"second")
    await blobs.put(blob_key("shop-a", "doc-10", 1), b"another document")
    await blobs.put(blob_key("shop-b", "doc-1", 1), b"another tenant")
    assert await blobs.get(blob_key("shop-a", "doc-1", 2)) == b"second"

    await blobs.delete_prefix(document_prefix("shop-a", "doc-1"))
    for version in (1, 2):
        with pytest.raises(BlobNotFoundError):
            await blobs.get(blob_key("shop-a", "doc-1", version))
    assert await blobs.get(blob_key("shop-a", "doc-10", 1)) == b"another document"
    assert await blobs.get(blob_key("shop-b", "doc-1", 1)) == b"another tenant"
    await blobs.delete_prefix(document_prefix("shop-a", "doc-1"))  # again: a no-op


def test_a_key_cannot_leave_the_blob_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid blob key"):
        DirectoryBlobStore(tmp_path)._path("../outside")


def test_the_settings_choose_a_directory_or_an_s3_bucket(tmp_path: Path) -> None:
    local = IngestSettings(blob_store=str(tmp_path / "blobs"))
    assert isinstance(build_blob_store(local), DirectoryBlobStore)
    bucket = IngestSettings(blob_store="s3://bancone-documents/originals")
    assert isinstance(build_blob_store(bucket), ObjectStoreBlobs)
    minio = IngestSettings(
        blob_store="s3://documents",
        blob_s3_endpoint_url="http://minio:9000",
        blob_s3_access_key_id="bancone",
        blob_s3_secret_access_key="not-a-real-secret",
        blob_s3_region="eu-south-1",
    )
    assert isinstance(build_blob_store(minio), ObjectStoreBlobs)
    with pytest.raises(ValueError, match="s3://"):
        build_blob_store(IngestSettings(blob_store="ftp://example.com/x"))
