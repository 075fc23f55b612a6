"""Documents fetched from URLs, against a real HTTP server on loopback.

A loopback server is exactly what a tenant must never reach, so the refusals are shown
against it as the ingest runs by default; the fetches that succeed run with the test-only
`url_fetch_allowed_hosts` naming that one server's `host:port` (a setting refused outside dev).
A redirect from the allowed server to anything else private is refused at that hop.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from services.ingest.tests.support import new_tenant
from services.ingest.tests.support_documents import CARE_GUIDE_HTML
from services.ingest.tests.support_ingest import MAX_BYTES, Ingest, IngestFactory

pytestmark = pytest.mark.service


class _Site(BaseHTTPRequestHandler):
    """A few pages: a care guide, redirects (same server, other port, private addresses),
    and a body streamed past the size limit with no declared length."""

    other_port = 0
    hits: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        match self.path:
            case "/guides/care":
                page = CARE_GUIDE_HTML.encode()
                self._send(200, page, content_type="text/html; charset=utf-8")
            case "/moved":
                self._send(302, location="/guides/care")
            case "/to-metadata":
                self._send(302, location="https://169.254.169.254/latest/meta-data/")
            case "/to-private":
                self._send(301, location="https://10.0.0.5/guide.pdf")
            case "/to-other-port":
                self._send(307, location=f"https://127.0.0.1:{self.other_port}/guides/care")
            case "/huge":
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.end_headers()  # no length: HTTP/1.0 streams until the connection closes
                for _ in range(MAX_BYTES // 1000 + 10):
                    self.wfile.write(b"x" * 999 + b"\n")
            case _:
                self._send(404, b"not here", content_type="text/plain")


@pytest.fixture
def site() -> Iterator[str]:
    """`127.0.0.1:port` of the site; a second server's port is where `/to-other-port` goes."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Site) for _ in range(2)]
    _Site.other_port = servers[1].server_address[1]
    _Site.hits = []
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield f"127.0.0.1:{servers[0].server_address[1]}"
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


async def _allow_urls(ingest: Ingest, tenant: str, allow: bool = True) -> None:
    response = await ingest.http.put(
        f"/v1/tenants/{tenant}/knowledge-settings", json={"allow_url_fetch": allow}
    )
    assert response.status_code == 200, response.text


async def _from_url(ingest: Ingest, tenant: str, url: str, **body: Any) -> Any:
    return await ingest.http.post(
        f"/v1/tenants/{tenant}/documents/from-url", json={"url": url, **body}
    )


async def _documents(ingest: Ingest, tenant: str) -> list[Any]:
    listed: list[Any] = (await ingest.http.get(f"/v1/tenants/{tenant}/documents")).json()[
        "documents"
    ]
    return listed


async def test_a_url_is_fetched_only_when_the_tenant_allows_it_and_only_for_that_tenant(
    start_ingest: IngestFactory, site: str
) -> None:
    shop, other = new_tenant("shop"), new_tenant("other")
    url = f"http://{site}/guides/care"
    async with start_ingest(url_fetch_allowed_hosts=(site,)) as ingest:
        settings = await ingest.http.get(f"/v1/tenants/{shop}/knowledge-settings")
        assert settings.json() == {"allow_url_fetch": False}
        off = await _from_url(ingest, shop, url)
        assert (off.status_code, off.json()["title"]) == (403, "URL fetching is off")
        assert _Site.hits == []  # refused before any request went out

        await _allow_urls(ingest, shop)
        document = (await _from_url(ingest, shop, url, title="Guida alla cura")).json()
        job = await ingest.finished(shop, document)
        assert job["state"] == "indexed", job
        assert (document["format"], document["filename"]) == ("html", "care.html")
        [care, *_] = await ingest.passages(shop, "come pulire la borsa di cuoio")
        assert care["citation"] == "Guida alla cura, § Pulizia"

        # The setting is the shop's own: the other tenant is still refused, and sees nothing.
        refused = await _from_url(ingest, other, url)
        assert refused.status_code == 403
        assert await ingest.passages(other, "come pulire la borsa di cuoio") == []


async def test_a_redirect_is_followed_hop_by_hop_and_the_title_defaults_to_the_final_url(
    start_ingest: IngestFactory, site: str
) -> None:
    shop = new_tenant()
    async with start_ingest(url_fetch_allowed_hosts=(site,)) as ingest:
        await _allow_urls(ingest, shop)
        document = (await _from_url(ingest, shop, f"http://{site}/moved")).json()
        assert (await ingest.finished(shop, document))["state"] == "indexed"
        assert document["title"] == "127.0.0.1/guides/care"
        assert _Site.hits == ["/moved", "/guides/care"]


async def test_loopback_and_redirects_to_private_addresses_are_refused_and_store_nothing(
    start_ingest: IngestFactory, site: str
) -> None:
    shop = new_tenant()
    async with start_ingest() as ingest:  # the default: no host is exempt
        await _allow_urls(ingest, shop)
        for scheme in ("http", "https"):
            direct = await _from_url(ingest, shop, f"{scheme}://{site}/guides/care")
            assert (direct.status_code, direct.json()["title"]) == (422, "URL refused")
        assert "127.0.0.1, a loopback address" in direct.json()["detail"]
        assert _Site.hits == []  # refused before connecting
        for target in ("ftp://example.com/guide.pdf", "file:///etc/passwd"):
            assert (await _from_url(ingest, shop, target)).status_code == 422

    async with start_ingest(url_fetch_allowed_hosts=(site,)) as ingest:
        for path, reason in [
            ("/to-metadata", "cloud metadata"),
            ("/to-private", "private address"),
            ("/to-other-port", "loopback address"),  # the exemption is for one host:port only
        ]:
            response = await _from_url(ingest, shop, f"http://{site}{path}")
            assert (response.status_code, response.json()["title"]) == (422, "URL refused")
            assert reason in response.json()["detail"], response.json()
        assert _Site.hits == ["/to-metadata", "/to-private", "/to-other-port"]

        huge = await _from_url(ingest, shop, f"http://{site}/huge")
        assert (huge.status_code, huge.json()["title"]) == (413, "Document too large")
        missing = await _from_url(ingest, shop, f"http://{site}/nothing")
        assert (missing.status_code, missing.json()["title"]) == (422, "URL could not be fetched")
        assert await _documents(ingest, shop) == []
        assert not any(p.is_file() for p in ingest.blobs.rglob("*"))
