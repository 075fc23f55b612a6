"""A tenant's daily LLM budget, as it runs: real PostgreSQL (the run log is the meter), the
real `openai` SDK against the scripted LLM. Once the day's tokens are spent, the next turn is
answered by the offline assistant — or handed to a person, per the tenant's setting — without
calling the model, and the turn's `agent.turn.completed` event tells the owner why."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.adapters.config_store import ConfigSecrets, update_config
from bancone_agent.adapters.daily_spend import RunLogSpend
from bancone_agent.adapters.llm_assistant import BUDGET_ESCALATION, LlmAssistant
from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.adapters.tables import AgentTurnRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain.config import AgentConfig
from bancone_agent.handlers import AgentDeps, Shop, dev_config_box, handle_inbound
from bancone_contracts import parse_event
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.tables import OutboxRecord
from bancone_scripted_llm import ScriptedLlm, running_scripted_llm
from services.agent.tests.support.service import Cellar, body_of, inbound

pytestmark = pytest.mark.service

WA_ID = "393335550101"
LLM_GREETING = "Ciao dal modello! Come posso aiutarti?"


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLlm]:
    with running_scripted_llm() as server:
        yield server


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    eng = create_engine(postgres_url)
    yield eng
    await eng.dispose()


async def _deps(engine: AsyncEngine, llm: ScriptedLlm, tenant_id: str, **budget: Any) -> AgentDeps:
    llm.load(
        {
            "rules": [
                {
                    "role": "user",
                    "match": "",
                    "reply": {
                        "content": LLM_GREETING,
                        "usage": {"prompt_tokens": 80, "completion_tokens": 40},
                    },
                }
            ]
        }
    )
    llm.forget_requests()
    sessions = sessions_of(engine)
    await update_config(
        sessions,
        tenant_id,
        {"llm": {"base_url": llm.base_url, "model": "scripted"}, "budget": budget},
        "owner",
        fallback=AgentConfig(shop_name="Enoteca Prova"),
        secrets=ConfigSecrets(dev_config_box(), allowed_llm_hosts=frozenset({"127.0.0.1"})),
    )
    options = LlmOptions(max_retries=0, allowed_hosts=frozenset({"127.0.0.1"}))
    return AgentDeps(
        sessions=sessions,
        assistant=LlmAssistant(options, spend_today=RunLogSpend(sessions)),
        tools_for=lambda _: Cellar(),
        shop_for=lambda _: Shop("Enoteca Prova"),
    )


async def _staged(engine: AsyncEngine, tenant_id: str) -> list[Any]:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(col(OutboxRecord.payload))
                .where(col(OutboxRecord.key).startswith(f"{tenant_id}:"))
                .order_by(col(OutboxRecord.seq))
            )
        ).all()
    return [parse_event(None, payload) for (payload,) in rows]


async def _turns(engine: AsyncEngine, tenant_id: str) -> list[AgentTurnRecord]:
    async with sessions_of(engine)() as session:
        rows = await session.scalars(
            sa.select(AgentTurnRecord)
            .where(col(AgentTurnRecord.tenant_id) == tenant_id)
            .order_by(col(AgentTurnRecord.created_at))
        )
        return list(rows.all())


async def test_past_the_daily_token_cap_the_offline_assistant_answers_and_the_event_says_so(
    engine: AsyncEngine, llm: ScriptedLlm
) -> None:
    tenant_id = f"budget-{uuid.uuid4().hex[:8]}"
    deps = await _deps(engine, llm, tenant_id, daily_tokens=100, over_budget="offline")

    await handle_inbound(inbound(tenant_id, WA_ID, "Ciao, ci siete?"), deps)
    await handle_inbound(inbound(tenant_id, WA_ID, "Avete un vino rosso?"), deps)

    assert len(llm.requests()) == 1, "the second turn never reached the model"
    first, second = await _turns(engine, tenant_id)
    assert (first.assistant, first.prompt_tokens + first.completion_tokens) == ("llm", 120)
    assert second.assistant == "offline"
    assert second.error is not None
    assert "daily LLM token budget spent (120 of 100)" in second.error
    staged = await _staged(engine, tenant_id)
    replies = [body_of(e) for e in staged if isinstance(e, OutboundMessageRequested)]
    assert len(replies) == 2
    assert replies[0] == LLM_GREETING
    assert replies[1] != LLM_GREETING
    [_, told] = [e for e in staged if isinstance(e, AgentTurnCompleted)]
    assert told.data.error is not None
    assert "daily LLM token budget spent" in told.data.error


async def test_past_the_daily_cap_with_handoff_the_customer_is_handed_to_a_person(
    engine: AsyncEngine, llm: ScriptedLlm
) -> None:
    tenant_id = f"budget-{uuid.uuid4().hex[:8]}"
    deps = await _deps(engine, llm, tenant_id, daily_tokens=100, over_budget="handoff")

    await handle_inbound(inbound(tenant_id, WA_ID, "Ciao, ci siete?"), deps)
    await handle_inbound(inbound(tenant_id, WA_ID, "Avete un vino rosso?"), deps)

    assert len(llm.requests()) == 1
    _, second = await _turns(engine, tenant_id)
    assert second.outcome == "escalated"
    assert second.escalation_reason == BUDGET_ESCALATION
    assert "daily LLM token budget spent" in (second.error or "")
    replies = [
        body_of(e)
        for e in await _staged(engine, tenant_id)
        if isinstance(e, OutboundMessageRequested)
    ]
    assert replies[-1] == AgentConfig().holding_message["it"]
