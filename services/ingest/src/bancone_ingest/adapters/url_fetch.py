"""Fetches a document a tenant names by URL, refusing to reach anything but the public internet.

Every hop is checked by `bancone_kit.public_urls` (https, every resolved address global) just
before it is sent: redirects are followed here, one at a time, never by httpx, so a public URL
answering `302 Location: http://10.0.0.5/` is refused at the second hop. The body is streamed
and cut off past the size limit (the declared length is checked first); the whole fetch has
one deadline. Hosts in `allowed_hosts` skip the address rule (dev and tests only: the settings
refuse them elsewhere).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from bancone_ingest.domain.uploads import (
    DocumentTooLargeError,
    UrlFetchError,
    UrlRefusedError,
    filename_for_url,
)
from bancone_kit.public_urls import PublicOnlyTransport, UnsafeUrlError

REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "BanconeIngest/1 (+document fetch)"


@dataclass(frozen=True)
class FetchedDocument:
    url: str
    """The URL the document was finally read from (after redirects)."""
    filename: str
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class UrlFetcher:
    allowed_hosts: frozenset[str] = frozenset()
    timeout_seconds: float = 20.0
    max_redirects: int = 5
    transport: httpx.AsyncBaseTransport | None = None
    """The transport under the public-address check (tests); None = a real HTTP one."""

    async def fetch(self, url: str, max_bytes: int) -> FetchedDocument:
        """The document at `url`; raises UrlRefusedError, UrlFetchError, DocumentTooLargeError."""
        if urlsplit(url).scheme not in {"http", "https"}:
            raise UrlRefusedError(f"{url!r}: only http(s) URLs can be fetched")
        guard = PublicOnlyTransport(self.allowed_hosts, inner=self.transport)
        timeout = httpx.Timeout(self.timeout_seconds)
        async with httpx.AsyncClient(
            transport=guard,
            follow_redirects=False,
            timeout=timeout,
            headers={"user-agent": USER_AGENT},
        ) as client:
            try:
                async with asyncio.timeout(self.timeout_seconds):
                    return await _follow(client, url, max_bytes, self.max_redirects)
            except UnsafeUrlError as error:
                raise UrlRefusedError(str(error)) from error
            except (TimeoutError, httpx.TimeoutException) as error:
                raise UrlFetchError(f"{url!r} took over {self.timeout_seconds:g}s") from error
            except httpx.HTTPError as error:
                raise UrlFetchError(f"{url!r} could not be fetched: {error}") from error


async def _follow(
    client: httpx.AsyncClient, url: str, max_bytes: int, max_redirects: int
) -> FetchedDocument:
    for _ in range(max_redirects + 1):
        async with client.stream("GET", url) as response:
            if response.status_code in REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise UrlFetchError(f"{url!r} redirects nowhere")
                url = urljoin(url, location)
                if urlsplit(url).scheme not in {"http", "https"}:
                    raise UrlRefusedError(f"{url!r}: a redirect to a non-http(s) URL")
                continue
            if response.status_code != 200:
                raise UrlFetchError(f"{url!r} answered HTTP {response.status_code}")
            data = await _read_capped(response, max_bytes)
            content_type = response.headers.get("content-type")
            return FetchedDocument(
                url=url,
                filename=filename_for_url(urlsplit(url).path, content_type),
                content_type=content_type,
                data=data,
            )
    raise UrlFetchError(f"more than {max_redirects} redirects")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise DocumentTooLargeError(f"the document is over {max_bytes} bytes")
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data.extend(chunk)
        if len(data) > max_bytes:
            raise DocumentTooLargeError(f"the document is over {max_bytes} bytes")
    return bytes(data)
