"""A small streaming reverse proxy: the gateway forwards tenant API paths it does not own to the
service that does, so the console talks to one origin in a local run.

Bodies stream both ways (a CSV import goes up as it arrives, the agent's SSE feed comes down
event by event); a client that goes away closes the upstream stream at once. In Kubernetes the
Ingress does this routing and the gateway is configured with no upstreams.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bancone_gateway.domain.upstreams import owner_of
from bancone_kit.http.problems import problem_response
from bancone_kit.logging import get_logger

log = get_logger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
"""Headers about one connection, never forwarded (RFC 9110 §7.6.1), plus `host`."""

BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


class ClientGoneError(Exception):
    """The browser disconnected while its request body was still being read."""


class UpstreamProxy:
    """Forwards requests to `upstreams` (service name → base URL) with one pooled client."""

    def __init__(self, upstreams: Mapping[str, str], *, read_timeout: float = 60.0) -> None:
        self.upstreams = {name: url.rstrip("/") for name, url in upstreams.items() if url}
        # The SSE feed sends a heartbeat every 15 s, so a 60 s read timeout never cuts it.
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=5.0, read=read_timeout, write=60.0, pool=10.0),
            follow_redirects=False,
        )

    def target(self, path: str) -> str | None:
        owner = owner_of(path)
        return self.upstreams.get(owner) if owner is not None else None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def forward(self, base: str, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        raw_query: bytes = scope.get("query_string", b"")
        url = base + scope["path"] + (("?" + raw_query.decode("latin-1")) if raw_query else "")
        headers = _request_headers(scope)
        body_done = asyncio.Event()
        has_body = method not in BODYLESS or "content-length" in headers
        content = _request_body(receive, body_done) if has_body else None
        if content is None:
            body_done.set()
        request = self.client.build_request(method, url, headers=headers, content=content)
        try:
            response = await self.client.send(request, stream=True)
        except ClientGoneError:
            return
        except httpx.HTTPError as exc:
            log.warning("proxy.upstream_unreachable", url=base, error=type(exc).__name__)
            await problem_response(502, detail="The service behind this path is unreachable.")(
                scope, receive, send
            )
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": _response_headers(response.headers),
                }
            )
            await _relay_until_gone(response, receive, send, body_done)
        finally:
            await response.aclose()


def _request_headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        if name not in HOP_BY_HOP:
            headers[name] = raw_value.decode("latin-1")
    client = scope.get("client")
    if client:
        prior = headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = f"{prior}, {client[0]}" if prior else client[0]
    headers.setdefault("x-forwarded-proto", scope.get("scheme", "http"))
    for raw_name, raw_value in scope["headers"]:
        if raw_name == b"host":
            headers.setdefault("x-forwarded-host", raw_value.decode("latin-1"))
    return headers


def _response_headers(headers: httpx.Headers) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower(), value)
        for name, value in headers.raw
        if name.decode("latin-1").lower() not in HOP_BY_HOP
    ]


async def _request_body(receive: Receive, done: asyncio.Event) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        chunk: bytes = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            done.set()
            return


async def _relay_until_gone(
    response: httpx.Response, receive: Receive, send: Send, body_done: asyncio.Event
) -> None:
    """Stream the upstream body to the client; stop as soon as the client disconnects (only
    watched once the request body is read, so two readers never share `receive`)."""
    relay = asyncio.ensure_future(_relay(response, send))
    watch = asyncio.ensure_future(_disconnect(receive)) if body_done.is_set() else None
    waiting = {relay} if watch is None else {relay, watch}
    try:
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiting:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    if relay.done() and not relay.cancelled():
        relay.result()


async def _relay(response: httpx.Response, send: Send) -> None:
    try:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except httpx.HTTPError as exc:
        log.info("proxy.upstream_stream_ended", error=type(exc).__name__)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnect(receive: Receive) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return


class ApiProxyMiddleware:
    """ASGI middleware: paths another service owns go to `proxy`, the rest to the app."""

    def __init__(self, app: ASGIApp, proxy: UpstreamProxy) -> None:
        self.app = app
        self.proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            base = self.proxy.target(scope["path"])
            if base is not None:
                await self.proxy.forward(base, scope, receive, send)
                return
        await self.app(scope, receive, send)
