"""The operators' conversation API on real PostgreSQL: the inbox (filters, waiting first,
unread counts, cursor paging), messages with delivery status and notes, takeover races,
assignment, human replies (staged for `bancone.outbound.v1` with sender=human), the 24-hour
window, hand back, resolve, reopen, and bad input that changes and sends nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent.adapters.tables import ConversationRecord
from bancone_agent.delivery_handlers import handle_delivery
from bancone_agent.domain import OfflineAssistant
from bancone_agent.handlers import handle_inbound
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from services.agent.tests.support.console import console, operator
from services.agent.tests.support.service import GatedAssistant, inbound

pytestmark = pytest.mark.service

TENANT = "enoteca"
HELP = "voglio parlare con una persona"


def path(cid: uuid.UUID | str, action: str = "", tenant: str = TENANT) -> str:
    tail = f"/{action}" if action else ""
    return f"/v1/tenants/{tenant}/conversations/{cid}{tail}"


async def test_reply_as_operator_is_staged_with_sender_human_and_listed_with_its_note(
    postgres_url: str,
) -> None:
    async with console(postgres_url) as c:
        cid = await c.customer_says(TENANT, "393330000001", HELP)
        giulia = operator(TENANT, name="giulia")
        taken = await c.http.post(path(cid, "takeover"), headers=giulia)
        assert taken.status_code == 200, taken.text
        assert (taken.json()["state"], taken.json()["assigned_to"]) == ("human", "giulia")

        sent = await c.http.post(path(cid, "replies"), json={"text": "Eccomi!"}, headers=giulia)
        note = await c.http.post(
            path(cid, "notes"), json={"text": "cliente abituale"}, headers=giulia
        )
        assert sent.status_code == 202, sent.text
        assert sent.json()["status"] == "queued"
        assert note.status_code == 201, note.text
        assert (note.json()["is_note"], note.json()["sender"]) == (True, "human")

        staged = await c.staged_outbound(TENANT)
        human = [e for e in staged if e.data.sender == "human"]
        assert len(staged) == 2, "the holding message and the operator's reply; never the note"
        assert [(e.data.operator_id, e.data.content.body) for e in human] == [  # type: ignore[union-attr]
            ("giulia", "Eccomi!")
        ]
        assert human[0].data.to == "393330000001"
        assert str(human[0].data.outbound_id) == sent.json()["outbound_id"]

        page = (await c.http.get(path(cid, "messages"), headers=giulia)).json()
        items = page["items"]
        assert [(m["sender"], m["is_note"]) for m in items] == [
            ("human", True),
            ("human", False),
            ("ai", False),
            ("customer", False),
        ]
        assert items[1]["delivery_status"] == "queued"
        assert items[0]["delivery_status"] is None
        assert items[1]["operator_id"] == "giulia"

        listed = (await c.http.get(f"/v1/tenants/{TENANT}/conversations", headers=giulia)).json()
        [row] = listed["items"]
        assert (row["unread"], row["last_message"], row["window_open"]) == (0, "Eccomi!", True)


async def test_handback_resolve_and_reopen_move_the_conversation(postgres_url: str) -> None:
    async with console(postgres_url) as c:
        cid = await c.customer_says(TENANT, "393330000002", HELP)
        marco = operator(TENANT, name="marco")
        back = await c.http.post(path(cid, "handback"), headers=marco)
        assert (back.json()["state"], back.json()["changed"]) == ("bot", True)
        await c.customer_says(TENANT, "393330000002", "Avete un Chianti?")
        answered = await c.staged_outbound(TENANT)
        assert [e.data.sender for e in answered] == ["ai", "ai"], "the assistant answers again"

        resolved = await c.http.post(path(cid, "resolve"), headers=marco)
        assert (resolved.json()["state"], resolved.json()["assigned_to"]) == ("resolved", None)
        reopened = await c.http.post(path(cid, "reopen"), headers=marco)
        assert (reopened.json()["state"], reopened.json()["assigned_to"]) == ("human", "marco")
        again = await c.http.post(path(cid, "reopen"), headers=marco)
        assert (again.json()["state"], again.json()["changed"]) == ("human", False)

        assigned = await c.http.post(
            path(cid, "assign"), json={"operator_id": "sara"}, headers=marco
        )
        assert (assigned.json()["assigned_to"], assigned.json()["changed"]) == ("sara", True)
        refused = await c.http.post(path(cid, "takeover"), headers=marco)
        assert refused.status_code == 409
        assert refused.json()["type"].endswith("/conversation-taken")
        assert refused.json()["holder"] == "sara"


async def test_bad_replies_are_refused_and_nothing_is_sent(postgres_url: str) -> None:
    async with console(postgres_url) as c:
        cid = await c.customer_says(TENANT, "393330000003", HELP)
        other = await c.customer_says("altro-negozio", "393330000003", HELP)
        agent = operator(TENANT)
        before = await c.staged_outbound(TENANT)

        empty = await c.http.post(path(cid, "replies"), json={"text": ""}, headers=agent)
        blank = await c.http.post(path(cid, "replies"), json={"text": "   "}, headers=agent)
        huge = await c.http.post(path(cid, "replies"), json={"text": "x" * 4097}, headers=agent)
        unknown = await c.http.post(
            path(uuid.uuid4(), "replies"), json={"text": "ciao"}, headers=agent
        )
        foreign = await c.http.post(path(other, "replies"), json={"text": "ciao"}, headers=agent)
        viewer = await c.http.post(
            path(cid, "replies"), json={"text": "ciao"}, headers=operator(TENANT, "viewer")
        )
        assert [r.status_code for r in (empty, blank, huge, unknown, foreign, viewer)] == [
            422,
            422,
            422,
            404,
            404,
            403,
        ]
        assert empty.headers["content-type"] == "application/problem+json"
        assert unknown.json()["type"].endswith("/conversation-not-found")

        await c.execute(
            sa.update(ConversationRecord)
            .where(col(ConversationRecord.id) == cid)
            .values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )
        late = await c.http.post(path(cid, "replies"), json={"text": "ciao"}, headers=agent)
        assert late.status_code == 409
        assert late.json()["type"].endswith("/template-needed")
        state = (await c.http.get(path(cid), headers=agent)).json()
        assert (state["window_open"], state["state"]) == (False, "waiting_for_human")

        await c.http.post(path(cid, "resolve"), headers=agent)
        closed = await c.http.post(path(cid, "replies"), json={"text": "ciao"}, headers=agent)
        assert closed.status_code == 409
        assert closed.json()["type"].endswith("/conversation-resolved")

        assert await c.staged_outbound(TENANT) == before, "nothing was sent"
        messages = (await c.http.get(path(cid, "messages"), headers=agent)).json()["items"]
        assert [m["sender"] for m in messages] == ["ai", "customer"], "nothing was recorded"


def failed(outbound_id: uuid.UUID, wa_id: str, code: int, title: str) -> DeliveryUpdated:
    """The notifier's report that a message could not be sent."""
    return DeliveryUpdated.new(
        tenant_id=TENANT,
        source="notifier",
        data=DeliveryResult(
            outbound_id=outbound_id,
            customer_id=wa_id,
            status="failed",
            error_code=code,
            error_title=title,
            retryable=False,
            occurred_at=datetime.now(UTC),
        ),
    )


async def test_a_reply_refused_for_the_closed_window_is_listed_as_needing_a_template(
    postgres_url: str,
) -> None:
    """The notifier fails a free-form message outside the 24-hour window with 131047: the
    messages API (and the feed's status event) say a template is needed on that message; a
    failure for another reason does not."""
    async with console(postgres_url) as c:
        first = await c.customer_says(TENANT, "393330000070", "Avete un Barolo?")
        other = await c.customer_says(TENANT, "393330000071", "Avete un Barolo?")
        replies = {e.data.to: e.data.outbound_id for e in await c.staged_outbound(TENANT)}
        window = "outside the 24-hour window, a template is needed"
        await handle_delivery(
            failed(replies["393330000070"], "393330000070", 131047, window), c.deps
        )
        await handle_delivery(
            failed(replies["393330000071"], "393330000071", 131026, "Message undeliverable"),
            c.deps,
        )
        viewer = operator(TENANT, "viewer")

        refused = (await c.http.get(path(first, "messages"), headers=viewer)).json()["items"]
        undeliverable = (await c.http.get(path(other, "messages"), headers=viewer)).json()["items"]

        assert [(m["sender"], m["delivery_status"], m["template_needed"]) for m in refused] == [
            ("ai", "failed", True),
            ("customer", None, False),
        ]
        assert refused[0]["delivery_error"] == f"131047 {window}"
        assert (undeliverable[0]["delivery_status"], undeliverable[0]["template_needed"]) == (
            "failed",
            False,
        )
        assert undeliverable[0]["delivery_error"] == "131026 Message undeliverable"
        state = (await c.http.get(path(first), headers=viewer)).json()
        assert state["state"] == "waiting_for_human", "the customer got no answer: a person decides"


async def test_two_operators_taking_over_at_once_exactly_one_wins(postgres_url: str) -> None:
    async with console(postgres_url, pool_size=20) as c:
        ids = [await c.customer_says(TENANT, f"3933300001{n:02d}", HELP) for n in range(10)]
        anna, bruno = operator(TENANT, name="anna"), operator(TENANT, name="bruno")
        results = await asyncio.gather(
            *(
                c.http.post(path(cid, "takeover"), headers=who)
                for cid in ids
                for who in (anna, bruno)
            )
        )
        for n, cid in enumerate(ids):
            pair = results[2 * n : 2 * n + 2]
            assert sorted(r.status_code for r in pair) == [200, 409], [r.text for r in pair]
            winner = next(r for r in pair if r.status_code == 200).json()["assigned_to"]
            loser = next(r for r in pair if r.status_code == 409).json()["holder"]
            assert winner == loser
            held = (await c.http.get(path(cid), headers=anna)).json()
            assert held["assigned_to"] == winner


async def test_a_customer_message_while_an_operator_replies_is_never_answered_by_the_assistant(
    postgres_url: str,
) -> None:
    """The assistant is thinking about the customer's question when an operator replies
    (which takes the conversation over): the assistant's answer is muted, not sent after."""
    gated = GatedAssistant(OfflineAssistant())
    async with console(postgres_url, assistant=gated) as c:
        cid = await c.customer_says(TENANT, "393330000004", "Ciao")
        gated.hold("vino")
        turn = asyncio.create_task(
            handle_inbound(inbound(TENANT, "393330000004", "Avete un vino rosso?"), c.deps)
        )
        await gated.arrived("vino")
        sent = await c.http.post(
            path(cid, "replies"), json={"text": "Ci penso io"}, headers=operator(TENANT)
        )
        assert sent.status_code == 202, sent.text
        gated.release("vino")
        await turn

        staged = await c.staged_outbound(TENANT)
        assert [e.data.sender for e in staged] == ["ai", "human"], "greeting, then only the human"
        turns = await c.http.get(path(cid, "turns"), headers=operator(TENANT, "admin"))
        assert [t["outcome"] for t in turns.json()["items"]] == ["answered", "muted"]
        assert (await c.http.get(path(cid, "turns"), headers=operator(TENANT))).status_code == 403


async def test_inbox_lists_waiting_first_filters_and_pages_without_gaps(
    postgres_url: str,
) -> None:
    async with console(postgres_url) as c:
        waiting = [await c.customer_says(TENANT, f"3933300002{n:02d}", HELP) for n in range(3)]
        chatting = [
            await c.customer_says(TENANT, f"3933300003{n:02d}", "Avete un Chianti?")
            for n in range(4)
        ]
        await c.customer_says("altro-negozio", "393330000999", HELP)
        viewer = operator(TENANT, "viewer")
        base = f"/v1/tenants/{TENANT}/conversations"

        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = (await c.http.get(base, params=params, headers=viewer)).json()
            seen += [row["id"] for row in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 7, "every conversation once, none of another shop"
        assert set(seen[:3]) == {str(i) for i in waiting}, "waiting for a person first"
        assert set(seen[3:]) == {str(i) for i in chatting}

        found = await c.http.get(base, params={"q": "chianti"}, headers=viewer)
        assert {r["id"] for r in found.json()["items"]} == {str(i) for i in chatting}
        only = await c.http.get(
            base, params={"state": "waiting_for_human", "customer": "00201"}, headers=viewer
        )
        assert [r["id"] for r in only.json()["items"]] == [str(waiting[1])]
        assert only.json()["items"][0]["unread"] == 0, "the holding message answered it"
        bad = await c.http.get(base, params={"cursor": "not-a-cursor"}, headers=viewer)
        assert bad.status_code == 422


async def test_messages_page_newest_first_without_gaps_or_repeats(postgres_url: str) -> None:
    async with console(postgres_url) as c:
        cid = await c.customer_says(TENANT, "393330000005", HELP)
        agent = operator(TENANT)
        for n in range(5):
            await c.http.post(path(cid, "notes"), json={"text": f"nota {n}"}, headers=agent)
        seen: list[dict[str, object]] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = (await c.http.get(path(cid, "messages"), params=params, headers=agent)).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [m["text"] for m in seen[:5]] == [f"nota {n}" for n in (4, 3, 2, 1, 0)]
        assert [m["sender"] for m in seen[5:]] == ["ai", "customer"]
        assert len({m["id"] for m in seen}) == 7
