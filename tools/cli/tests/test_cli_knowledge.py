"""`bancone knowledge add` uploads the file as multipart (or asks the ingest to fetch a URL), follows the job to its end and
exits 0 only when the document is indexed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from bancone_cli.knowledge import run_knowledge_add

pytestmark = pytest.mark.unit

INGEST = "http://ingest.test"


def job(state: str, **fields: Any) -> dict[str, Any]:
    return {"job_id": "job-1", "state": state, "chunks_done": 0, "chunks_total": None} | fields


def serve(
    upload: httpx.Response, jobs: list[dict[str, Any]]
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    states: Iterator[dict[str, Any]] = iter(jobs)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return upload
        return httpx.Response(200, json=next(states))

    return httpx.MockTransport(handle), seen


def accepted() -> httpx.Response:
    document = {
        "document_id": "doc-1",
        "title": "Warranty terms",
        "version": 1,
        "job": job("queued"),
    }
    return httpx.Response(202, json=document)


def add(path: Path | str, transport: httpx.MockTransport, **kw: Any) -> tuple[int, str]:
    out = io.StringIO()
    with httpx.Client(transport=transport) as client:
        code = run_knowledge_add(
            path,
            tenant="demo",
            ingest_url=INGEST,
            token="admin-token",
            console=Console(file=out, width=200, force_terminal=False),
            client=client,
            poll_seconds=0,
            sleep=lambda _: None,
            **kw,
        )
    return code, out.getvalue()


def test_the_file_is_uploaded_and_followed_until_indexed(tmp_path: Path) -> None:
    path = tmp_path / "warranty.pdf"
    path.write_bytes(b"%PDF-1.4 fake")
    transport, seen = serve(
        accepted(),
        [
            job("extracting"),
            job("embedding", pages_total=2, chunks_total=3, chunks_done=1),
            job("indexed", pages_total=2, chunks_total=3, chunks_done=3),
        ],
    )
    code, output = add(path, transport, title="Warranty terms")

    assert code == 0
    upload, *polls = seen
    assert upload.url == f"{INGEST}/v1/tenants/demo/documents"
    assert upload.headers["authorization"] == "Bearer admin-token"
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'filename="warranty.pdf"' in upload.content
    assert b"%PDF-1.4 fake" in upload.content
    assert b"Warranty terms" in upload.content
    assert {p.url.path for p in polls} == {"/v1/tenants/demo/ingestion-jobs/job-1"}
    assert "indexed: 3 passages searchable" in output


def test_a_failed_job_prints_its_reason_and_hint_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4 scanned")
    failed = job("failed", reason="no text found", hint="run it through OCR")
    transport, _ = serve(accepted(), [failed])
    code, output = add(path, transport)
    assert code == 1
    assert "failed: no text found" in output
    assert "hint: run it through OCR" in output


def test_a_refused_upload_prints_the_problem_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff")
    problem = {"title": "Unsupported document type", "detail": "upload PDF, DOCX, HTML"}
    transport, seen = serve(httpx.Response(415, json=problem), [])
    code, output = add(path, transport)
    assert (code, len(seen)) == (1, 1)
    assert "415 Unsupported document type: upload PDF, DOCX, HTML" in output


def test_a_missing_file_is_reported_without_a_request(tmp_path: Path) -> None:
    transport, seen = serve(accepted(), [])
    code, output = add(tmp_path / "nope.pdf", transport)
    assert (code, seen) == (1, [])
    assert "is not a file" in output


def test_a_url_is_sent_for_the_ingest_to_fetch_and_followed_until_indexed() -> None:
    transport, seen = serve(accepted(), [job("indexed", chunks_total=2, chunks_done=2)])
    code, output = add("https://shop.example/care-guide", transport, title="Care guide")
    assert code == 0
    request, _poll = seen
    assert request.url == f"{INGEST}/v1/tenants/demo/documents/from-url"
    assert json.loads(request.content) == {
        "url": "https://shop.example/care-guide",
        "title": "Care guide",
    }
    assert "fetched Warranty terms" in output


def test_a_url_the_shop_does_not_allow_prints_the_refusal_and_exits_1() -> None:
    problem = {"title": "URL fetching is off", "detail": "turn on allow_url_fetch"}
    transport, seen = serve(httpx.Response(403, json=problem), [])
    code, output = add("http://10.0.0.5/guide.pdf", transport)
    assert (code, len(seen)) == (1, 1)
    assert "403 URL fetching is off: turn on allow_url_fetch" in output
