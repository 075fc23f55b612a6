"""Documents through the running ingest: uploads over HTTP, jobs run by the in-process worker
against real PostgreSQL (rows, outbox), the real Kafka broker, the offline USE embedder and
embedded Qdrant in tmp_path. Per format, isolation, refusals, bad input, lifecycle, restart."""

from __future__ import annotations

from typing import Any

import pytest

from bancone_ingest.adapters.embedder import UniversalSentenceEncoder
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import bearer
from services.ingest.tests.support import new_tenant
from services.ingest.tests.support_documents import (
    CARE_GUIDE_HTML,
    MENU_TEXT,
    SHIPPING_MARKDOWN,
    WARRANTY_PAGES,
    make_docx,
    make_pdf,
)
from services.ingest.tests.support_ingest import MAX_BYTES, PDF, GatedEncoder, IngestFactory

pytestmark = pytest.mark.service


async def test_every_format_is_indexed_and_its_passages_cite_title_and_page_or_section(
    start_ingest: IngestFactory,
) -> None:
    shop = new_tenant()
    uploads = [
        ("warranty.pdf", make_pdf(WARRANTY_PAGES), PDF, "Warranty terms"),
        (
            "care.docx",
            make_docx([("Washing", ["Wash the linen shirt at 30 degrees."])]),
            None,
            None,
        ),
        ("cura.html", CARE_GUIDE_HTML.encode(), "text/html", "Guida alla cura"),
        ("envios.md", SHIPPING_MARKDOWN.encode(), None, "Condiciones de envío"),
        ("menu.txt", MENU_TEXT.encode(), "text/plain", "Menu"),
    ]
    async with start_ingest() as ingest:
        documents = [
            await ingest.uploaded(shop, name, data, content_type=ctype, title=title)
            for name, data, ctype, title in uploads
        ]
        assert {d["state"] for d in documents} == {"queued"}
        jobs = [await ingest.finished(shop, document) for document in documents]
        for job in jobs:
            assert job["state"] == "indexed", job
            assert job["chunks_done"] == job["chunks_total"] > 0
        assert (jobs[0]["pages_done"], jobs[0]["pages_total"]) == (2, 2)

        [warranty, *_] = await ingest.passages(shop, "How long does the warranty last?")
        assert warranty["citation"] == "Warranty terms, p. 2"
        assert "24 months" in warranty["text"]
        assert (warranty["payload"]["page"], warranty["payload"]["language"]) == (2, "en")

        [care, *_] = await ingest.passages(shop, "come pulire la borsa di cuoio")
        assert care["citation"] == "Guida alla cura, § Pulizia"
        assert care["payload"]["language"] == "it"

        [shipping, *_] = await ingest.passages(shop, "¿cuántos días para devolver un producto?")
        assert shipping["citation"] == "Condiciones de envío, § Devoluciones"

        [shirt, *_] = await ingest.passages(shop, "washing temperature for the shirt")
        assert shirt["citation"] == "care, § Washing"  # no title given: the file name's

        listed = (await ingest.http.get(f"/v1/tenants/{shop}/documents")).json()["documents"]
        assert [(d["filename"], d["state"], d["indexed_version"]) for d in listed] == [
            (name, "indexed", 1) for name, *_ in uploads
        ]

        states = [
            e["data"]["state"]
            for e in await ingest.events(shop)
            if e["data"]["document_id"] == documents[0]["document_id"]
        ]
        assert states[0] == "queued"
        assert states[-1] == "indexed"
        assert {"extracting", "chunking", "embedding"} <= set(states)


async def test_a_tenant_never_sees_nor_touches_another_tenants_document(
    start_ingest: IngestFactory,
) -> None:
    shop_a, shop_b = new_tenant("shop-a"), new_tenant("shop-b")
    async with start_ingest() as ingest:
        theirs = await ingest.uploaded(shop_a, "warranty.pdf", make_pdf(WARRANTY_PAGES), title="W")
        mine = await ingest.uploaded(shop_b, "menu.txt", MENU_TEXT.encode())
        assert (await ingest.finished(shop_a, theirs))["state"] == "indexed"
        assert (await ingest.finished(shop_b, mine))["state"] == "indexed"

        hits = await ingest.passages(shop_b, "warranty lasts 24 months from delivery", limit=50)
        assert {h["payload"]["document_id"] for h in hits} == {mine["document_id"]}
        assert {h["payload"]["tenant_id"] for h in hits} == {shop_b}

        document = f"/v1/tenants/{shop_b}/documents/{theirs['document_id']}"
        assert (await ingest.http.get(document)).status_code == 404
        assert (await ingest.http.delete(document)).status_code == 404
        job = f"/v1/tenants/{shop_b}/ingestion-jobs/{theirs['job']['job_id']}"
        assert (await ingest.http.get(job)).status_code == 404
        replaced = await ingest.upload(shop_b, "x.txt", b"hijack", replacing=theirs["document_id"])
        assert replaced.status_code == 404
        listed = (await ingest.http.get(f"/v1/tenants/{shop_b}/documents")).json()
        assert [d["document_id"] for d in listed["documents"]] == [mine["document_id"]]
        assert await ingest.points(shop_a, theirs["document_id"]) > 0


async def test_oversized_unsupported_and_empty_uploads_are_refused_and_store_nothing(
    start_ingest: IngestFactory,
) -> None:
    shop = new_tenant()
    async with start_ingest() as ingest:
        big = await ingest.upload(shop, "big.txt", b"word " * (MAX_BYTES // 4), "text/plain")
        assert (big.status_code, big.json()["title"]) == (413, "Document too large")
        image = await ingest.upload(shop, "photo.jpg", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")
        assert (image.status_code, image.json()["title"]) == (415, "Unsupported document type")
        empty = await ingest.upload(shop, "empty.txt", b"", "text/plain")
        assert (empty.status_code, empty.json()["title"]) == (422, "Empty document")
        assert empty.headers["content-type"] == "application/problem+json"

        listed = (await ingest.http.get(f"/v1/tenants/{shop}/documents")).json()
        assert listed == {"documents": []}
        assert not (ingest.blobs / shop).exists()


async def test_a_viewer_reads_documents_but_only_an_admin_uploads_and_no_other_tenant_at_all(
    start_ingest: IngestFactory,
) -> None:
    shop, other = new_tenant(), new_tenant()
    async with start_ingest() as ingest:
        as_viewer = bearer(ingest.signer.operator(shop, "viewer"))
        files = {"file": ("hours.txt", b"Open 9-13", "text/plain")}
        refused = await ingest.http.post(
            f"/v1/tenants/{shop}/documents", files=files, headers=as_viewer
        )
        assert refused.status_code == 403
        listed = await ingest.http.get(f"/v1/tenants/{shop}/documents", headers=as_viewer)
        assert listed.status_code == 200
        assert listed.json() == {"documents": []}
        as_other_owner = bearer(ingest.signer.operator(other, "owner"))
        hidden = await ingest.http.get(f"/v1/tenants/{shop}/documents", headers=as_other_owner)
        assert hidden.status_code == 404
        assert (
            await ingest.http.get(
                f"/v1/tenants/{shop}/documents", headers={"Authorization": "Bearer x"}
            )
        ).status_code == 401


async def test_encrypted_damaged_and_scanned_pdfs_fail_with_a_reason_and_index_nothing(
    start_ingest: IngestFactory,
) -> None:
    shop = new_tenant()
    cases = {
        "locked.pdf": (make_pdf(WARRANTY_PAGES, password="secret"), "the document is encrypted"),
        "broken.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "damaged"),
        "scan.pdf": (make_pdf([[], []]), "no text found"),
    }
    async with start_ingest() as ingest:
        for name, (data, reason) in cases.items():
            document = await ingest.uploaded(shop, name, data, content_type=PDF)
            job = await ingest.finished(shop, document)
            assert job["state"] == "failed"
            assert reason in job["reason"]
            assert job["hint"]
        scan = next(
            d
            for d in (await ingest.http.get(f"/v1/tenants/{shop}/documents")).json()["documents"]
            if d["filename"] == "scan.pdf"
        )
        assert "OCR" in scan["job"]["hint"]
        assert (scan["state"], scan["indexed_version"]) == ("failed", None)
        assert await ingest.points(shop) == 0
        failed = [e["data"] for e in await ingest.events(shop) if e["data"]["state"] == "failed"]
        assert len(failed) == 3
        assert all(e["reason"] for e in failed)


async def test_a_replaced_document_answers_from_its_new_version_only_and_delete_removes_all(
    start_ingest: IngestFactory,
) -> None:
    shop = new_tenant()
    first = make_pdf(WARRANTY_PAGES)
    second = make_pdf(
        [["Warranty terms", "", "Our machines carry a warranty of 36 months, parts and labour."]]
    )
    async with start_ingest() as ingest:
        v1 = await ingest.uploaded(shop, "warranty.pdf", first, title="Warranty terms")
        assert (await ingest.finished(shop, v1))["state"] == "indexed"
        document_id = v1["document_id"]

        v2 = await ingest.uploaded(shop, "warranty-2026.pdf", second, replacing=document_id)
        assert (v2["document_id"], v2["version"], v2["indexed_version"]) == (document_id, 2, 1)
        job = await ingest.finished(shop, v2)
        assert job["state"] == "indexed"

        hits = await ingest.passages(shop, "how many months of warranty?", limit=50)
        assert {h["payload"]["version"] for h in hits} == {2}
        assert any("36 months" in h["text"] for h in hits)
        assert not any("24 months" in h["text"] for h in hits)
        assert await ingest.points(shop, document_id) == job["chunks_total"]
        current = (await ingest.http.get(f"/v1/tenants/{shop}/documents/{document_id}")).json()
        assert (current["version"], current["indexed_version"], current["title"]) == (
            2,
            2,
            "Warranty terms",
        )

        deleted = await ingest.http.delete(f"/v1/tenants/{shop}/documents/{document_id}")
        assert deleted.status_code == 204
        assert await ingest.points(shop, document_id) == 0
        assert await ingest.passages(shop, "warranty months") == []
        assert not (ingest.blobs / shop / document_id).exists()
        gone = await ingest.http.get(f"/v1/tenants/{shop}/documents/{document_id}")
        assert gone.status_code == 404


async def test_a_job_cut_off_by_a_restart_resumes_and_leaves_no_duplicate_passages(
    start_ingest: IngestFactory, encoder: UniversalSentenceEncoder
) -> None:
    shop = new_tenant()
    pages = [
        [f"Section {n}", "", f"Paragraph {n} explains rule number {n} in detail."] for n in range(6)
    ]
    gated = GatedEncoder(encoder, allowed=2)
    async with start_ingest(gated, ingestion_batch_size=1) as ingest:
        document = await ingest.uploaded(shop, "rules.pdf", make_pdf(pages), content_type=PDF)

        async def cut_off() -> dict[str, Any] | None:
            job = await ingest.job(shop, document["job"]["job_id"])
            return job if job["chunks_done"] == 2 and gated.calls == 3 else None

        before = await eventually(cut_off)
        assert before["state"] == "embedding"
        assert before["chunks_total"] == 6

    async with start_ingest(ingestion_batch_size=1) as ingest:
        job = await ingest.finished(shop, document)
        assert job["state"] == "indexed"
        assert await ingest.points(shop, document["document_id"]) == job["chunks_total"] == 6
        embedded = [
            e["data"]["chunks_done"]
            for e in await ingest.events(shop)
            if e["data"]["state"] == "embedding"
        ]
        # Run one: embedding starts (0), two batches (1, 2). Run two re-enters embedding where
        # run one stopped (2) and goes on from there: chunks 1 and 2 are not embedded again.
        assert embedded == [0, 1, 2, 2, 3, 4, 5, 6]
        hits = await ingest.passages(shop, "rule number 5", limit=50)
        assert len({h["entity_id"] for h in hits}) == len(hits)
