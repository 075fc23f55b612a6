"""Live-feed delay: from an operator's write to its event at an SSE client, on one replica.

Not part of `make bench`: run `uv run python services/agent/bench/feed_delay.py [--n 200]
[--database-url URL]` (default: a migrated SQLite file in a temp dir; pass a PostgreSQL URL
to measure there). The agent's HTTP app is served by uvicorn on a free port; one client
reads `GET /events`, another posts notes one at a time; each delay is from just before the
POST to the arrival of its `note.added` event (the write, its commit, the in-process wake-up
and the stream). The guard is replaced by a fixed owner principal (no token minting). Events
committed by another replica are found by the stream's poll instead (at most `POLL_SECONDS`,
1 s, later). Prints p50/p95/max in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import KnowledgeHit, OfflineAssistant, Product, ProductQuery
from bancone_agent.entrypoints.http import build_http_app
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound
from bancone_agent.settings import AgentSettings
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_kit.auth.dependencies import current_principal
from bancone_kit.auth.principal import Principal
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database

TENANT = "bench"


class NoShop:
    """The shop's tools: unused (the seeded message escalates before any tool runs)."""

    async def search_products(self, query: ProductQuery) -> list[Product]:
        return []

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []

    async def get_product(self, product_id: str) -> Product | None:
        return None

    async def list_offers(self) -> list[KnowledgeHit]:
        return []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def measure(database_url: str, n: int) -> list[float]:
    os.environ["BANCONE_AGENT_DATABASE_URL"] = database_url  # what the migrations read
    os.environ.setdefault("BANCONE_ENVIRONMENT", "dev")
    await upgrade_database(database_url, "bancone_agent.migrations")
    engine = create_engine(database_url)
    deps = AgentDeps(
        sessions=sessions_of(engine),
        assistant=OfflineAssistant(),
        tools_for=lambda _: NoShop(),
        shop_for=lambda _: Shop("Bench"),
    )
    app = build_http_app(AgentSettings(database_url=database_url), [])
    app.state.deps = deps
    owner = Principal("operator", "op-bench", TENANT, "owner", "jti", datetime.now(UTC))
    app.dependency_overrides[current_principal] = lambda: owner
    event = InboundMessageReceived.new(
        tenant_id=TENANT,
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="106540352242922",
            customer=Customer(wa_id="393330000000"),
            timestamp=datetime.now(UTC),
            content=TextContent(body="voglio parlare con una persona"),
        ),
    )
    await handle_inbound(event, deps)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}/v1/tenants/{TENANT}"
    delays: list[float] = []
    try:
        async with httpx.AsyncClient(timeout=30) as reader, httpx.AsyncClient(timeout=30) as writer:
            listed = (await writer.get(f"{base}/conversations")).json()
            conversation = listed["items"][0]["id"]
            async with reader.stream("GET", f"{base}/events") as stream:
                lines = stream.aiter_lines()
                assert (await anext(lines)).startswith(": connected")
                for i in range(n):
                    started = time.perf_counter()
                    post = asyncio.create_task(
                        writer.post(
                            f"{base}/conversations/{conversation}/notes", json={"text": f"n{i}"}
                        )
                    )
                    async for line in lines:
                        if (
                            line.startswith("data:")
                            and json.loads(line[5:])["item"]["text"] == f"n{i}"
                        ):
                            delays.append((time.perf_counter() - started) * 1000)
                            break
                    (await post).raise_for_status()
    finally:
        server.should_exit = True
        await serving
        await engine.dispose()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'feed.sqlite'}"
        delays = asyncio.run(measure(url, args.n))
    ordered = sorted(delays)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"{'database':<20} {'events':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    engine = url.split(":", 1)[0]
    print(
        f"{engine:<20} {len(delays):>6} {statistics.median(ordered):>8.1f} {p95:>8.1f} "
        f"{ordered[-1]:>8.1f}"
    )


if __name__ == "__main__":
    main()
