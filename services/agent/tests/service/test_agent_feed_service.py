"""The live feed (`GET /events`, Server-Sent Events) served by uvicorn on real PostgreSQL:
a client that reconnects with `Last-Event-ID` gets every event it missed exactly once, in
order; concurrent writers never leave a gap a reader skips; and a tenant never sees another
tenant's events."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent.adapters import feed
from bancone_agent.adapters.tables import FeedEventRecord
from bancone_agent.delivery_handlers import handle_delivery
from bancone_agent.handlers import handle_inbound
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from services.agent.tests.support.console import FeedReader, console, operator
from services.agent.tests.support.service import inbound
from services.agent.tests.support.shop_api import serve as serving

pytestmark = pytest.mark.service

TENANT = "enoteca"
OTHER = "drogheria"
WA_ID = "393331110000"
HELP = "voglio parlare con una persona"


def events_path(tenant: str = TENANT) -> str:
    return f"/v1/tenants/{tenant}/events"


def path(cid: uuid.UUID, action: str) -> str:
    return f"/v1/tenants/{TENANT}/conversations/{cid}/{action}"


async def test_a_client_that_reconnects_gets_everything_it_missed_once_and_in_order(
    postgres_url: str,
) -> None:
    async with console(postgres_url) as c, serving(c.app) as url:
        c.app.state.feed_heartbeat_seconds = 0.2
        cid = await c.customer_says(TENANT, WA_ID, HELP)
        viewer, agent = operator(TENANT, "viewer"), operator(TENANT, name="giulia")
        async with (
            httpx.AsyncClient(base_url=url, timeout=30) as client,
            client.stream("GET", events_path(), params={"after": "0"}, headers=viewer) as stream,
        ):
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            reader = FeedReader(stream)
            seen = await reader.take(3)
            await c.http.post(path(cid, "notes"), json={"text": "vedo io"}, headers=agent)
            seen += await reader.take(1)
        assert [e.type for e in seen] == [
            "message.received",
            "conversation.changed",
            "message.sent",
            "note.added",
        ]
        assert {e.data["conversation_id"] for e in seen} == {str(cid)}

        # Disconnected: a takeover, a reply, its delivery, a customer message and a note.
        await c.http.post(path(cid, "takeover"), headers=agent)
        sent = await c.http.post(path(cid, "replies"), json={"text": "Eccomi"}, headers=agent)
        outbound_id = uuid.UUID(sent.json()["outbound_id"])
        await handle_delivery(
            DeliveryUpdated.new(
                tenant_id=TENANT,
                source="notifier",
                data=DeliveryResult(outbound_id=outbound_id, customer_id=WA_ID, status="sent"),
            ),
            c.deps,
        )
        await handle_inbound(inbound(TENANT, WA_ID, "grazie"), c.deps)
        await c.http.post(path(cid, "notes"), json={"text": "fatto"}, headers=agent)

        resume = {**viewer, "Last-Event-ID": str(seen[-1].id)}
        async with (
            httpx.AsyncClient(base_url=url, timeout=30) as client,
            client.stream("GET", events_path(), headers=resume) as stream,
        ):
            reader = FeedReader(stream)
            missed = await reader.take(5)
            extra = await reader.until_comment("ping")
    assert [e.type for e in missed] == [
        "conversation.changed",
        "message.sent",
        "message.status",
        "message.received",
        "note.added",
    ]
    assert missed[0].data["item"]["assigned_to"] == "giulia"
    assert missed[1].data["item"]["sender"] == "human"
    assert missed[2].data["item"]["delivery_status"] == "sent"
    assert missed[4].data["item"]["text"] == "fatto"
    assert [e.id for e in seen + missed] == list(range(1, 10)), "no gap, no repeat"
    assert extra == [], "nothing after the last event"


async def test_concurrent_writers_leave_no_gap_a_live_reader_would_skip(
    postgres_url: str,
) -> None:
    async with console(postgres_url, pool_size=20) as c, serving(c.app) as url:
        ids = [await c.customer_says(TENANT, f"3933311100{n:02d}", HELP) for n in range(5)]
        agent = operator(TENANT)
        async with (
            httpx.AsyncClient(base_url=url, timeout=30) as client,
            client.stream("GET", events_path(), headers=agent) as stream,
        ):
            reader = FeedReader(stream)
            assert await reader.next() == "connected"
            notes = [f"nota {cid} {n}" for cid in ids for n in range(6)]
            await asyncio.gather(
                *(
                    c.http.post(
                        path(uuid.UUID(text.split()[1]), "notes"),
                        json={"text": text},
                        headers=agent,
                    )
                    for text in notes
                )
            )
            live = await reader.take(len(notes))
    assert sorted(e.data["item"]["text"] for e in live) == sorted(notes), "each note once"
    numbers = [e.id for e in live]
    assert numbers == list(range(numbers[0], numbers[0] + len(notes))), "in order, no gap"


async def test_a_tenant_never_sees_another_tenants_events(postgres_url: str) -> None:
    async with console(postgres_url) as c, serving(c.app) as url:
        c.app.state.feed_heartbeat_seconds = 0.2
        mine = await c.customer_says(TENANT, WA_ID, HELP)
        await c.customer_says(OTHER, WA_ID, HELP)
        await c.customer_says(OTHER, "393331119999", "Ciao")
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            refused = await client.get(
                events_path(TENANT), headers=operator(OTHER, "owner"), params={"after": "0"}
            )
            bad = await client.get(events_path(), headers=operator(TENANT), params={"after": "x"})
            async with client.stream(
                "GET", events_path(), params={"after": "0"}, headers=operator(TENANT, "viewer")
            ) as stream:
                events = await FeedReader(stream).until_comment("ping")
    assert refused.status_code == 404
    assert bad.status_code == 422
    assert len(events) == 3
    assert {e.data["conversation_id"] for e in events} == {str(mine)}


async def test_old_events_are_pruned_per_tenant_and_a_client_resuming_before_them_is_told_to_reload(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed, "FEED_KEEP", 4)
    monkeypatch.setattr(feed, "PRUNE_EVERY", 2)
    async with console(postgres_url) as c, serving(c.app) as url:
        c.app.state.feed_heartbeat_seconds = 0.2
        cid = await c.customer_says(TENANT, WA_ID, HELP)  # events 1-3
        await c.customer_says(OTHER, WA_ID, HELP)  # the other tenant's 1-3
        agent = operator(TENANT, name="giulia")
        for n in range(9):  # events 4-12
            await c.http.post(path(cid, "notes"), json={"text": f"nota {n}"}, headers=agent)
        async with c.deps.sessions() as session:
            kept = await session.scalars(
                sa.select(col(FeedEventRecord.seq))
                .where(col(FeedEventRecord.tenant_id) == TENANT)
                .order_by(col(FeedEventRecord.seq))
            )
            theirs = await session.scalar(
                sa.select(sa.func.count()).where(col(FeedEventRecord.tenant_id) == OTHER)
            )
        assert list(kept) == [9, 10, 11, 12], "pruned at 12: everything up to 12 - 4"
        assert theirs == 3, "pruning one tenant leaves the other's events"

        viewer = operator(TENANT, "viewer")
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            async with client.stream(
                "GET", events_path(), params={"after": "2"}, headers=viewer
            ) as s:
                reader = FeedReader(s)
                first, *rest = await reader.take(5)
            async with client.stream(
                "GET", events_path(), params={"after": "9"}, headers=viewer
            ) as s:
                reader = FeedReader(s)
                recent = await reader.take(3)
                extra = await reader.until_comment("ping")
    assert (first.type, first.id, first.data) == ("reset", 8, {"first_available": 9})
    assert [e.id for e in rest] == [9, 10, 11, 12]
    assert [(e.type, e.id) for e in recent] == [("note.added", n) for n in (10, 11, 12)]
    assert extra == [], "a client within what is kept gets no reset"
