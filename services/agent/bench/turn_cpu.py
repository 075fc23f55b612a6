"""CPU and SQL statements per customer turn inside the agent, without the rest of the platform.

The pipeline bench (`bench/webhook_load.py`) measures the whole platform, and one run of it
moves by about 10 % from the next; a change worth a millisecond in the agent cannot be seen
there. This runs the real turn (`handlers.handle_inbound`: plan, pace, draft by the offline
assistant, the one commit with its outbox rows) on a migrated database of the agent's own,
with shop tools that answer from memory (no HTTP), and reports:

- statements: the SQL statements one turn sends (counted by an engine event);
- CPU ms: process CPU seconds (`time.process_time`) per turn, best of `--repeats` runs.

Two cases: a customer writing for the first time (what the pipeline bench sends: a new
customer per message) and one writing again (a conversation that exists). Logging is
configured as the service's (JSON to a discarded stream, level info). Not included: the Kafka
consumer, the outbox relay, the HTTP tool calls.

    uv run --all-packages python services/agent/bench/turn_cpu.py [--turns 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_agent.adapters.tables import AgentTurnRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import KnowledgeHit, OfflineAssistant, Product, ProductQuery
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound
from bancone_agent.settings import AgentSettings
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.logging import configure_logging

TENANT = "bench"
PHONE_NUMBER_ID = "106540352242922"
QUESTION = "Vorrei un vino rosso sotto i 20 euro"
WINES = [
    Product(
        id=str(uuid.uuid4()),
        sku=f"W-{i}",
        name=name,
        category="vino-rosso",
        price=Decimal(price),
        stock=5,
        attributes={"colour": "red"},
    )
    for i, (name, price) in enumerate(
        [("Chianti Classico DOCG", "14.50"), ("Barolo", "42"), ("Montepulciano", "9.90")]
    )
]


class MemoryShop:
    """The shop's tools answering from a fixed list (what is measured is the agent)."""

    async def search_products(self, query: ProductQuery) -> list[Product]:
        return [p for p in WINES if query.max_price is None or p.price <= query.max_price]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []

    async def get_product(self, product_id: str) -> Product | None:
        return next((p for p in WINES if p.id == product_id), None)

    async def list_offers(self) -> list[KnowledgeHit]:
        return []


def inbound(wa_id: str) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id=TENANT,
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id=PHONE_NUMBER_ID,
            customer=Customer(wa_id=wa_id, profile_name="Cliente Bench"),
            timestamp=datetime.now(UTC),
            content=TextContent(body=QUESTION),
        ),
    )


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self.shown: list[str] | None = None
        sa_event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.count += 1
        if self.shown is not None:
            self.shown.append(" ".join(statement.split())[:100])


class MovingClock:
    """Now, moved an hour on by `later()`: a customer's next message falls outside the pace
    rule's window without the bench waiting for it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def later(self) -> None:
        self.offset += timedelta(hours=1)


def _numbered(prefix: str) -> Callable[[int], str]:
    return lambda i: f"{prefix}{i:04d}"


async def run_case(
    deps: AgentDeps, counter: StatementCounter, turns: int, wa_id_of: Callable[[int], str]
) -> tuple[float, float]:
    """(statements per turn, CPU ms per turn) over `turns` turns."""
    counter.count = 0
    started = time.process_time()
    for i in range(turns):
        await handle_inbound(inbound(wa_id_of(i)), deps)
    cpu = time.process_time() - started
    return counter.count / turns, 1000 * cpu / turns


async def measure(database_url: str, turns: int, repeats: int, show: bool) -> None:
    os.environ["BANCONE_AGENT_DATABASE_URL"] = database_url
    os.environ.setdefault("BANCONE_ENVIRONMENT", "dev")
    configure_logging(AgentSettings(), stream=io.StringIO())
    await upgrade_database(database_url, "bancone_agent.migrations")
    engine = create_engine(database_url)
    counter = StatementCounter(engine)
    clock = MovingClock()
    deps = AgentDeps(
        sessions=sessions_of(engine),
        assistant=OfflineAssistant(),
        tools_for=lambda _: MemoryShop(),
        shop_for=lambda _: Shop(name="Enoteca Bench", language="it"),
        clock=clock,
    )
    run = uuid.uuid4().int % 10**6
    returning = [f"39{run:06d}{i:04d}" for i in range(turns)]
    await run_case(deps, counter, turns, returning.__getitem__)  # warm-up; they exist now
    print(f"agent turn on {engine.dialect.name}, {turns} turns per run, best of {repeats}")
    print(f"{'case':<28}{'statements':>11}{'CPU ms':>9}")
    for repeat_case, name in (
        (False, "first message of a customer"),
        (True, "customer writing again"),
    ):
        if show:
            counter.shown = []
            clock.later()
            await run_case(
                deps, counter, 1, (returning if repeat_case else [f"37{run:06d}"]).__getitem__
            )
            print(f"-- {name}:", *counter.shown, sep="\n   ")
            counter.shown = None
        best: tuple[float, float] | None = None
        for r in range(repeats):
            if repeat_case:
                clock.later()  # past the pace rule's window: every turn is answered
                result = await run_case(deps, counter, turns, returning.__getitem__)
            else:
                prefix = f"38{run:06d}{r:02d}"
                result = await run_case(deps, counter, turns, _numbered(prefix))
            best = result if best is None or result[1] < best[1] else best
        assert best is not None
        print(f"{name:<28}{best[0]:>11.1f}{best[1]:>9.2f}")
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(AgentTurnRecord.assistant, sa.func.count()).group_by(
                AgentTurnRecord.assistant
            )
        )
        by_assistant = {str(name): int(count) for name, count in rows.all()}
    print(f"turns in the run log by assistant (check: no 'pace'): {by_assistant}")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--show", action="store_true", help="list one turn's statements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/agent.db"
        asyncio.run(measure(url, args.turns, args.repeats, args.show))


if __name__ == "__main__":
    main()
