"""URL fetching's pure parts and its settings: the file name a fetched document gets, the
private-host exemption that only dev may configure, and the fetcher's bounds (size, redirects,
schemes, deadline)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bancone_ingest.adapters.url_fetch import UrlFetcher
from bancone_ingest.domain.uploads import (
    DocumentTooLargeError,
    UrlFetchError,
    UrlRefusedError,
    filename_for_url,
)
from bancone_ingest.settings import IngestSettings

pytestmark = pytest.mark.unit

PROD: dict[str, Any] = {
    "environment": "prod",
    "kafka_security_protocol": "SASL_SSL",
    "jwks_url": "https://gateway.internal/.well-known/jwks.json",
}


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("/guides/care", "text/html; charset=utf-8", "care.html"),
        ("/terms.php", "application/pdf", "terms.pdf"),
        ("/", "text/plain", "index.txt"),
        ("/files/warranty.pdf", "application/octet-stream", "warranty.pdf"),
        ("", None, "index"),
    ],
)
def test_the_content_type_names_the_format_of_a_fetched_file(
    path: str, content_type: str | None, expected: str
) -> None:
    assert filename_for_url(path, content_type) == expected


def test_private_hosts_may_be_exempted_in_dev_only() -> None:
    dev = IngestSettings(environment="dev", url_fetch_allowed_hosts=("127.0.0.1:8999", "[::1]"))
    assert dev.url_fetch_trusted_hosts == {"127.0.0.1:8999", "::1"}
    assert IngestSettings(**PROD).url_fetch_allowed_hosts == ()
    with pytest.raises(ValidationError, match="url_fetch_allowed_hosts"):
        IngestSettings(**PROD, url_fetch_allowed_hosts=("127.0.0.1",))


# -- the fetcher's bounds, against an in-process server (the host is exempted as in tests) --

HOST = "docs.test"


def fetcher(handler: Any, **options: Any) -> UrlFetcher:
    return UrlFetcher(
        allowed_hosts=frozenset({HOST}), transport=httpx.MockTransport(handler), **options
    )


async def _chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": "5000"}, content=b"x" * 5000)

    with pytest.raises(DocumentTooLargeError):
        await fetcher(handler).fetch(f"https://{HOST}/big.txt", max_bytes=1000)


async def test_a_body_streamed_past_the_limit_is_cut_off() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_chunks(10, 400))  # no length declared

    with pytest.raises(DocumentTooLargeError):
        await fetcher(handler).fetch(f"https://{HOST}/stream.txt", max_bytes=1000)


async def test_a_redirect_loop_stops_at_the_redirect_limit() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(302, headers={"location": f"/hop{len(seen)}"})

    with pytest.raises(UrlFetchError, match="more than 2 redirects"):
        await fetcher(handler, max_redirects=2).fetch(f"https://{HOST}/start", max_bytes=1000)
    assert seen == ["/start", "/hop1", "/hop2"]


async def test_a_redirect_to_another_scheme_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "file:///etc/passwd"})

    with pytest.raises(UrlRefusedError, match="non-http"):
        await fetcher(handler).fetch(f"https://{HOST}/start", max_bytes=1000)


async def test_a_server_slower_than_the_deadline_is_a_fetch_error() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, content=b"late")

    with pytest.raises(UrlFetchError, match="took over"):
        await fetcher(handler, timeout_seconds=0.05).fetch(f"https://{HOST}/slow", max_bytes=100)
