"""Helpers of the console API's service tests: the agent's HTTP app on a real database with
the tenant's conversations seeded through the real turn handler, operator tokens, and what
the agent staged in its outbox (the truth of what will be published)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.adapters.tables import ConversationRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import Assistant, OfflineAssistant
from bancone_agent.domain.onboarding import FaqWriter, SetupChat
from bancone_agent.entrypoints.http import build_http_app
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound
from bancone_agent.settings import AgentSettings
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.testing.tokens import TokenSigner, bearer
from services.agent.tests.support.outbox import staged_replies
from services.agent.tests.support.service import Cellar, inbound

SIGNER = TokenSigner()
"""Signs the operator tokens, as the gateway would."""


def operator(tenant_id: str, role: str = "agent", name: str | None = None) -> dict[str, str]:
    """The Authorization header of an operator of the tenant (subject `name` if given)."""
    if name is None:
        return bearer(SIGNER.operator(tenant_id, role))
    return bearer(SIGNER.token(tid=tenant_id, role=role, sub=name))


@dataclass
class Console:
    engine: AsyncEngine
    deps: AgentDeps
    http: httpx.AsyncClient
    app: FastAPI

    async def customer_says(self, tenant_id: str, wa_id: str, text: str) -> uuid.UUID:
        """A customer message handled as a turn; the id of the customer's conversation."""
        await handle_inbound(inbound(tenant_id, wa_id, text), self.deps)
        async with self.engine.connect() as connection:
            found = await connection.scalar(
                sa.select(col(ConversationRecord.id)).where(
                    col(ConversationRecord.tenant_id) == tenant_id,
                    col(ConversationRecord.customer_id) == wa_id,
                )
            )
        assert found is not None
        return uuid.UUID(str(found))

    async def staged_outbound(self, tenant_id: str) -> list[OutboundMessageRequested]:
        return await staged_replies(self.engine, tenant_id)

    async def execute(self, statement: Any) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(statement)


@asynccontextmanager
async def console(
    database_url: str,
    assistant: Assistant | None = None,
    pool_size: int = 10,
    allowed_llm_hosts: tuple[str, ...] = (),
    setup_chat: SetupChat | None = None,
    faq_writer: FaqWriter | None = None,
) -> AsyncIterator[Console]:
    """The agent's HTTP app (no consumers) on a migrated database."""
    await upgrade_database(database_url, "bancone_agent.migrations")
    engine = create_engine(database_url, pool_size=pool_size, max_overflow=10)
    deps = AgentDeps(
        sessions=sessions_of(engine),
        assistant=assistant or OfflineAssistant(),
        tools_for=lambda _: Cellar(),
        shop_for=lambda _: Shop("Enoteca Prova"),
        allowed_llm_hosts=allowed_llm_hosts,
        setup_chat=setup_chat,
        faq_writer=faq_writer,
    )
    app = build_http_app(AgentSettings(database_url=database_url), [])
    app.state.deps = deps
    SIGNER.install(app, "agent")
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agent") as http:
            yield Console(engine, deps, http, app)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class FeedEvent:
    id: int
    type: str
    data: dict[str, Any]


class FeedReader:
    """Reads the SSE stream of `GET /events`: events and comments (`: ping`)."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self) -> FeedEvent | str:
        """The next event, or the text of the next comment."""
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line.startswith(":"):
                return line[1:].strip()
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif "id" in fields:
                return FeedEvent(int(fields["id"]), fields["event"], json.loads(fields["data"]))
        raise EOFError("the stream ended")

    async def take(self, count: int, seconds: float = 30) -> list[FeedEvent]:
        """The next `count` events (comments skipped)."""
        found: list[FeedEvent] = []
        async with asyncio.timeout(seconds):
            while len(found) < count:
                item = await self.next()
                if isinstance(item, FeedEvent):
                    found.append(item)
        return found

    async def until_comment(self, text: str, seconds: float = 30) -> list[FeedEvent]:
        """Read until a comment `text` arrives; the events read meanwhile."""
        found: list[FeedEvent] = []
        async with asyncio.timeout(seconds):
            while (item := await self.next()) != text:
                if isinstance(item, FeedEvent):
                    found.append(item)
        return found
