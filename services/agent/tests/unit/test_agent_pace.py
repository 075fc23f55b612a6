"""A customer writing faster than the shop's limit gets one slow-down reply, then silence until
a window has passed; every message is stored. The rule alone, then the turn path on SQLite
with a clock the test moves (no sleeps)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.adapters.config_store import ConfigSecrets, update_config
from bancone_agent.adapters.tables import AgentTurnRecord, MessageRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import OfflineAssistant
from bancone_agent.domain.pace import (
    Pace,
    RecentInbound,
    inbound_limit,
    pace_of,
    slow_down_reply,
)
from bancone_agent.domain.phrases import phrasebook
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound, handle_inbound_batch
from bancone_contracts import OUTBOUND
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_contracts.events.outbound import OutboundMessageRequested, OutboundText
from services.agent.tests.support.outbox import staged
from services.agent.tests.support.service import Cellar

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LIMIT = inbound_limit(20)


def test_within_the_limit_the_assistant_answers() -> None:
    assert pace_of(LIMIT, RecentInbound(19, None), 1, T0) is Pace.ANSWER


def test_the_turn_that_goes_over_the_limit_slows_the_customer_down() -> None:
    assert pace_of(LIMIT, RecentInbound(20, None), 1, T0) is Pace.SLOW_DOWN
    assert pace_of(LIMIT, RecentInbound(3, None), 18, T0) is Pace.SLOW_DOWN


def test_after_a_slow_down_the_customer_is_not_answered_until_the_window_passes() -> None:
    slowed = RecentInbound(1, T0)
    assert pace_of(LIMIT, slowed, 1, T0 + timedelta(seconds=59)) is Pace.QUIET
    assert pace_of(LIMIT, slowed, 1, T0 + timedelta(seconds=60)) is Pace.ANSWER


def test_the_limit_is_a_per_minute_rate_item() -> None:
    assert LIMIT.amount == 20
    assert LIMIT.get_expiry() == 60


@pytest.mark.parametrize(
    ("text", "previous", "language"),
    [
        ("Buongiorno, avete del vino rosso?", None, "it"),
        ("Hello, do you have red wine?", "it", "en"),
        ("Hola, ¿tenéis vino tinto?", None, "es"),
        ("?!", "es", "es"),
        ("Guten Tag", "de", "it"),
    ],
)
def test_the_slow_down_reply_is_in_the_customers_language(
    text: str, previous: str | None, language: str
) -> None:
    assert slow_down_reply([text], previous, "it") == (language, phrasebook(language).slow_down)


# --- the turn path --------------------------------------------------------------------------

TENANT = "enoteca"
WA_ID = "393331234567"


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(engine: AsyncEngine, clock: Clock) -> AgentDeps:
    return AgentDeps(
        sessions=sessions_of(engine),
        assistant=OfflineAssistant(),
        tools_for=lambda _: Cellar(),
        shop_for=lambda _: Shop(name="Enoteca Prova", language="it"),
        clock=clock,
    )


def message(text: str, *, wa_id: str = WA_ID) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id=TENANT,
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="106540352242922",
            customer=Customer(wa_id=wa_id),
            timestamp=datetime.now(UTC),
            content=TextContent(body=text),
        ),
    )


async def replies(engine: AsyncEngine) -> list[str]:
    bodies = []
    for event in await staged(engine, OUTBOUND):
        assert isinstance(event, OutboundMessageRequested)
        assert isinstance(event.data.content, OutboundText)
        bodies.append(event.data.content.body)
    return bodies


async def stored_inbound(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            sa.select(sa.func.count()).where(col(MessageRecord.direction) == "in")
        )
    return int(count or 0)


async def test_a_burst_gets_one_slow_down_all_messages_stored_and_answers_after_the_window(
    deps: AgentDeps, engine: AsyncEngine, clock: Clock
) -> None:
    slow_down = phrasebook("it").slow_down
    for n in range(30):
        await handle_inbound(message(f"Avete vino rosso? ({n})"), deps)
        clock.advance(0.5)

    bodies = await replies(engine)
    assert bodies.count(slow_down) == 1
    assert len(bodies) == 21, "20 answers within the limit, then the one slow-down"
    assert bodies[-1] == slow_down
    assert await stored_inbound(engine) == 30

    clock.advance(60)
    await handle_inbound(message("Avete vino rosso?"), deps)
    bodies = await replies(engine)
    assert len(bodies) == 22
    assert bodies[-1] != slow_down, "answered again once the window has passed"


async def test_a_folded_burst_over_the_limit_is_one_slow_down_turn_in_the_run_log(
    deps: AgentDeps, engine: AsyncEngine, clock: Clock
) -> None:
    await handle_inbound_batch([message(f"Hello, red wine? {n}") for n in range(25)], deps)
    clock.advance(10)
    await handle_inbound(message("Hello? Anyone?"), deps)

    assert await replies(engine) == [phrasebook("en").slow_down]
    async with sessions_of(engine)() as session:
        turns = (
            await session.scalars(sa.select(AgentTurnRecord).order_by(AgentTurnRecord.created_at))
        ).all()
    assert [(t.assistant, t.outcome) for t in turns] == [("pace", "answered"), ("pace", "muted")]


async def test_the_limit_is_the_tenants_setting_and_counts_per_customer(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    await update_config(
        deps.sessions,
        TENANT,
        {"inbound_per_minute": 2},
        "owner",
        fallback=deps.fallback_config(TENANT),
        secrets=ConfigSecrets(deps.config_box),
    )
    for n in range(3):
        await handle_inbound(message(f"Ciao {n}"), deps)
    await handle_inbound(message("Ciao", wa_id="393339999999"), deps)

    bodies = await replies(engine)
    assert bodies.count(phrasebook("it").slow_down) == 1
    assert len(bodies) == 4, "two answers and a slow-down for one, an answer for the other"
