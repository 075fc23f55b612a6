"""The one-origin proxy on real sockets: the gateway (uvicorn) forwards a tenant API path to an
upstream (uvicorn) with method, query, body and token intact, streams the answer as it comes
(an SSE event reaches the client while the upstream still holds the stream open), lets the
upstream's errors through, answers 502 when the upstream is down, closes the upstream stream
when the client leaves, and keeps its own routes local."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from bancone_gateway.adapters.api_proxy import UpstreamProxy
from bancone_gateway.entrypoints.http import build_http_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.testing.tokens import TokenSigner

pytestmark = pytest.mark.service


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Upstream:
    """A fake agent: echoes requests, and serves an SSE stream the test releases step by step."""

    def __init__(self) -> None:
        self.app = FastAPI()
        self.release = asyncio.Event()
        self.stream_closed = asyncio.Event()
        self.seen: list[dict[str, Any]] = []

        @self.app.api_route(
            "/v1/tenants/{tenant}/conversations/{rest:path}", methods=["GET", "POST"]
        )
        async def echo(request: Request, tenant: str, rest: str) -> JSONResponse:
            body = await request.body()
            self.seen.append(dict(request.headers))
            return JSONResponse(
                {
                    "method": request.method,
                    "path": request.url.path,
                    "query": request.url.query,
                    "body": body.decode(),
                    "authorization": request.headers.get("authorization"),
                    "forwarded_for": request.headers.get("x-forwarded-for"),
                },
                status_code=409 if rest == "taken" else 200,
                headers={"X-Upstream": "agent"},
            )

        @self.app.get("/v1/tenants/{tenant}/events")
        async def events(tenant: str) -> StreamingResponse:
            async def stream() -> AsyncIterator[bytes]:
                try:
                    yield b'id: 1\nevent: message.received\ndata: {"n": 1}\n\n'
                    await self.release.wait()
                    yield b'id: 2\nevent: message.received\ndata: {"n": 2}\n\n'
                    await asyncio.Event().wait()  # open until the client leaves
                finally:
                    self.stream_closed.set()

            return StreamingResponse(stream(), media_type="text/event-stream")


@pytest.fixture
async def gateway_and_upstream() -> AsyncIterator[tuple[str, Upstream]]:
    upstream = Upstream()
    async with serving(upstream.app) as upstream_url:
        proxy = UpstreamProxy({"agent": upstream_url, "catalog": "http://127.0.0.1:1"})
        app = build_http_app(GatewaySettings(), [], proxy=proxy)
        TokenSigner().install(app, "gateway")
        try:
            async with serving(app) as gateway_url:
                yield gateway_url, upstream
        finally:
            await proxy.aclose()


async def test_a_request_reaches_the_upstream_whole(
    gateway_and_upstream: tuple[str, Upstream],
) -> None:
    gateway, upstream = gateway_and_upstream
    async with httpx.AsyncClient() as http:
        response = await http.post(
            gateway + "/v1/tenants/demo/conversations/c1/replies?x=1&x=2",
            content=b'{"text": "ciao"}',
            headers={"Authorization": "Bearer tok", "Content-Type": "application/json"},
        )
    assert response.status_code == 200
    assert response.headers["x-upstream"] == "agent"
    echoed = response.json()
    assert echoed == {
        "method": "POST",
        "path": "/v1/tenants/demo/conversations/c1/replies",
        "query": "x=1&x=2",
        "body": '{"text": "ciao"}',
        "authorization": "Bearer tok",
        "forwarded_for": "127.0.0.1",
    }
    assert not upstream.seen[0]["host"].startswith(gateway.removeprefix("http://"))


async def test_upstream_errors_pass_through_unchanged(
    gateway_and_upstream: tuple[str, Upstream],
) -> None:
    gateway, _ = gateway_and_upstream
    async with httpx.AsyncClient() as http:
        response = await http.get(gateway + "/v1/tenants/demo/conversations/taken")
    assert response.status_code == 409
    assert response.json()["path"] == "/v1/tenants/demo/conversations/taken"


async def test_sse_streams_event_by_event_and_closes_upstream_when_client_leaves(
    gateway_and_upstream: tuple[str, Upstream],
) -> None:
    gateway, upstream = gateway_and_upstream
    received: list[str] = []
    async with (
        httpx.AsyncClient(timeout=30) as http,
        http.stream("GET", gateway + "/v1/tenants/demo/events") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        async for line in lines:
            if line.startswith("data:"):
                received.append(line)
                break
        # The first event arrived while the upstream still waits: nothing was buffered.
        assert not upstream.release.is_set()
        upstream.release.set()
        async for line in lines:
            if line.startswith("data:"):
                received.append(line)
                break
    assert [json.loads(line.removeprefix("data:"))["n"] for line in received] == [1, 2]
    await asyncio.wait_for(upstream.stream_closed.wait(), timeout=10)


async def test_an_unreachable_upstream_is_a_502_problem(
    gateway_and_upstream: tuple[str, Upstream],
) -> None:
    gateway, _ = gateway_and_upstream
    async with httpx.AsyncClient() as http:
        response = await http.get(gateway + "/v1/tenants/demo/products")
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 502


async def test_gateway_routes_and_the_console_stay_local(
    gateway_and_upstream: tuple[str, Upstream],
) -> None:
    gateway, upstream = gateway_and_upstream
    async with httpx.AsyncClient() as http:
        audit = await http.get(gateway + "/v1/tenants/demo/audit")
        page = await http.get(gateway + "/console/")
        root = await http.get(gateway + "/")
        script = await http.get(gateway + "/console/js/app.js")
    assert audit.status_code == 401  # the gateway's own guard answered, nothing forwarded
    assert page.status_code == 200
    assert '<div id="app">' in page.text
    assert page.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert root.status_code == 307
    assert root.headers["location"] == "/console/"
    assert script.headers["content-type"].startswith("text/javascript")
    assert upstream.seen == []
