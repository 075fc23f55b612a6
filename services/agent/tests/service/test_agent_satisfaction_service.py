"""The satisfaction question on real PostgreSQL: asked once when an operator resolves (the
tenant's setting on, inside the 24-hour window), in the customer's language; the customer's tap
is stored, never answered by the assistant, and counted in `GET /usage/daily`; another tenant
sees none of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent.adapters.tables import ConversationRecord, SatisfactionRecord
from bancone_agent.handlers import handle_inbound
from bancone_contracts.events.inbound import InboundMessageReceived, ListReplyContent
from bancone_contracts.events.outbound import OutboundList, OutboundMessageRequested
from services.agent.tests.support.console import Console, console, operator
from services.agent.tests.support.service import inbound

pytestmark = pytest.mark.service

TENANT = "enoteca"
OTHER = "cantina"
HELP = "voglio parlare con una persona"


def conversation_path(tenant: str, cid: uuid.UUID, action: str) -> str:
    return f"/v1/tenants/{tenant}/conversations/{cid}/{action}"


async def ask_satisfaction(c: Console, tenant: str) -> None:
    response = await c.http.put(
        f"/v1/tenants/{tenant}/assistant-config",
        json={"base_version": 0, "config": {"satisfaction_question": True}},
        headers=operator(tenant, "admin"),
    )
    assert response.status_code == 201, response.text


async def resolve(c: Console, tenant: str, cid: uuid.UUID) -> dict[str, Any]:
    response = await c.http.post(
        conversation_path(tenant, cid, "resolve"), headers=operator(tenant)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def questions(c: Console, tenant: str) -> list[OutboundMessageRequested]:
    return [e for e in await c.staged_outbound(tenant) if isinstance(e.data.content, OutboundList)]


def tap(tenant: str, wa_id: str, score: int) -> InboundMessageReceived:
    return inbound(tenant, wa_id, ListReplyContent(id=f"csat:{score}", title=f"{score}"))


async def answers(c: Console, tenant: str) -> list[SatisfactionRecord]:
    async with c.deps.sessions() as session:
        rows = await session.scalars(
            sa.select(SatisfactionRecord)
            .where(col(SatisfactionRecord.tenant_id) == tenant)
            .order_by(col(SatisfactionRecord.asked_at))
        )
        return list(rows.all())


async def today_usage(c: Console, tenant: str) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    response = await c.http.get(
        f"/v1/tenants/{tenant}/usage/daily",
        params={"from": today, "to": today},
        headers=operator(tenant, "viewer"),
    )
    assert response.status_code == 200, response.text
    [day] = response.json()["items"]
    satisfaction: dict[str, Any] = day["satisfaction"]
    return satisfaction


async def test_resolve_asks_once_and_the_answer_is_stored_not_answered_and_counted(
    postgres_url: str,
) -> None:
    async with console(postgres_url) as c:
        await ask_satisfaction(c, TENANT)
        wa_id = "393330000201"
        cid = await c.customer_says(TENANT, wa_id, HELP)

        first = await resolve(c, TENANT, cid)
        again = await resolve(c, TENANT, cid)

        assert (first["changed"], again["changed"]) == (True, False)
        [asked] = await questions(c, TENANT)
        content = asked.data.content
        assert isinstance(content, OutboundList)
        assert content.body == "Com'è andata? Dacci un voto da 1 a 5."
        assert [row.id for row in content.sections[0].rows] == [f"csat:{n}" for n in range(1, 6)]
        assert (asked.data.to, asked.data.conversation_id) == (wa_id, str(cid))
        staged_before = len(await c.staged_outbound(TENANT))

        answer = tap(TENANT, wa_id, 4)
        await handle_inbound(answer, c.deps)
        await handle_inbound(answer, c.deps)  # redelivered: ignored

        [stored] = await answers(c, TENANT)
        assert (stored.score, stored.conversation_id, stored.answer_wamid) == (
            4,
            cid,
            answer.data.message_id,
        )
        assert len(await c.staged_outbound(TENANT)) == staged_before, "the assistant is silent"
        assert await today_usage(c, TENANT) == {"count": 1, "average": "4.00"}

        await handle_inbound(tap(TENANT, wa_id, 1), c.deps)  # a second tap changes nothing
        assert [a.score for a in await answers(c, TENANT)] == [4]
        assert await today_usage(c, TENANT) == {"count": 1, "average": "4.00"}


async def test_the_question_speaks_the_customers_language(postgres_url: str) -> None:
    async with console(postgres_url) as c:
        await ask_satisfaction(c, TENANT)
        cid = await c.customer_says(TENANT, "393330000202", "I want to talk to a person")
        await c.execute(
            sa.update(ConversationRecord)
            .where(col(ConversationRecord.id) == cid)
            .values(language="en")
        )

        await resolve(c, TENANT, cid)

        [asked] = await questions(c, TENANT)
        assert isinstance(asked.data.content, OutboundList)
        assert asked.data.content.body == "How did we do? Rate us from 1 to 5."


async def test_off_by_default_and_never_outside_the_window(postgres_url: str) -> None:
    async with console(postgres_url) as c:
        off = await c.customer_says(OTHER, "393330000203", HELP)
        await resolve(c, OTHER, off)
        await ask_satisfaction(c, TENANT)
        late = await c.customer_says(TENANT, "393330000204", HELP)
        await c.execute(
            sa.update(ConversationRecord)
            .where(col(ConversationRecord.id) == late)
            .values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )

        await resolve(c, TENANT, late)

        assert await questions(c, OTHER) == []
        assert await questions(c, TENANT) == []
        assert await answers(c, TENANT) == []


async def test_a_tap_at_another_shop_neither_answers_this_shops_question_nor_counts(
    postgres_url: str,
) -> None:
    async with console(postgres_url) as c:
        await ask_satisfaction(c, TENANT)
        wa_id = "393330000205"  # the same person writes to both shops
        cid = await c.customer_says(TENANT, wa_id, HELP)
        await c.customer_says(OTHER, wa_id, HELP)
        await resolve(c, TENANT, cid)

        await handle_inbound(tap(OTHER, wa_id, 1), c.deps)

        [open_question] = await answers(c, TENANT)
        assert open_question.score is None
        assert await answers(c, OTHER) == []
        assert await today_usage(c, OTHER) == {"count": 0, "average": None}
        await handle_inbound(tap(TENANT, wa_id, 5), c.deps)
        assert await today_usage(c, TENANT) == {"count": 1, "average": "5.00"}
        assert await today_usage(c, OTHER) == {"count": 0, "average": None}
