"""Dead letters as they run: real PostgreSQL, real Kafka, the agent's routes over HTTP.

A customer message that fails every attempt (the dev poison hook, `dev_poison_marker`) goes
to this test's own `.dlq`; the agent reads it back, escalates the conversation with ONE
holding message, lists it, and a replay records the message without a second reply — even
after an operator resolved the conversation (when a new message would be answered). The
outbox is the truth for what the agent would send: a message row and any reply to it are
committed together, so once the replayed message is stored the outbox is final for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent.adapters.tables import DeadLetterRecord, MessageRecord
from bancone_agent.bootstrap import build_app, sessions_of
from bancone_agent.dead_letter_handlers import handle_inbound_dead_letter, replay_dead_letters
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.dead_letters import ReplayDeadLetters
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.handlers import AgentDeps, Shop
from bancone_agent.settings import AgentSettings
from bancone_contracts import CONVERSATION, OUTBOUND
from bancone_contracts.events.conversation import ConversationChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.dead_letter import DeadLetter
from bancone_kit.messaging.tables import OutboxRecord
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import TokenSigner, bearer
from services.agent.tests.support.outbox import staged_replies_at
from services.agent.tests.support.service import (
    Cellar,
    TopicTail,
    body_of,
    inbound,
    publish,
    running,
)

pytestmark = pytest.mark.service

WA_ID = "393331230001"
POISON = "#poison-for-dlq-test"
SIGNER = TokenSigner()
HOLDING_EN = AgentConfig().holding_message["en"]


async def stored(postgres_url: str, query: sa.Select[tuple[int]]) -> int:
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())
    finally:
        await engine.dispose()


def messages_with(tenant_id: str, wamid: str) -> sa.Select[tuple[int]]:
    return sa.select(sa.func.count()).where(
        col(MessageRecord.tenant_id) == tenant_id, col(MessageRecord.wamid) == wamid
    )


async def test_a_dead_lettered_message_escalates_once_and_its_replay_adds_no_reply(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    tenant_id, other = f"shop-{uuid.uuid4().hex[:10]}", f"shop-{uuid.uuid4().hex[:10]}"
    topic = await new_topic(partitions=1, name_prefix="agent-dlq")
    settings = AgentSettings(
        database_url=postgres_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        dev_poison_marker=POISON,
        consumer_retry_attempts=2,
        consumer_retry_max_seconds=0.2,
    )
    app = build_app(
        settings,
        tools_for=lambda _: Cellar(),
        subscriptions=[
            Subscription(InboundMessageReceived, topic, f"g-{tenant_id}", fold=True),
            Subscription(
                InboundMessageReceived, f"{topic}.dlq", f"g-{tenant_id}-dlq", dead_letters=True
            ),
        ],
    )
    SIGNER.install(app, "agent")
    admin, viewer = (bearer(SIGNER.operator(tenant_id, role)) for role in ("admin", "viewer"))
    stranger = bearer(SIGNER.operator(other, "admin"))
    poisoned = inbound(tenant_id, WA_ID, f"Hello, do you have red wine? {POISON}")
    base = f"/v1/tenants/{tenant_id}/dead-letters"

    async with (
        TopicTail(kafka_bootstrap, [OUTBOUND, CONVERSATION], tenant_id) as tail,
        running(app) as http,
    ):
        await publish(kafka_bootstrap, topic, [poisoned])
        await tail.until(
            lambda t: bool(t.of(OutboundMessageRequested)) and bool(t.of(ConversationChanged))
        )
        listed = await http.get(base, headers=viewer)
        assert listed.status_code == 200, listed.text
        [letter] = listed.json()
        assert letter["id"] == str(poisoned.id)
        assert (letter["status"], letter["attempts"]) == ("dead", 2)
        assert letter["error_type"] == "PoisonedForTestError"
        assert letter["source_topic"] == topic
        assert (await http.get(f"/v1/tenants/{other}/dead-letters", headers=stranger)).json() == []
        assert (await http.post(f"{base}/{poisoned.id}/replay", headers=viewer)).status_code == 403
        assert (
            await http.post(f"{base}/{poisoned.id}/replay", headers=stranger)
        ).status_code == 404

        # Seen twice: the same DLQ record again, and the same event dead-lettered once more.
        deps: AgentDeps = app.state.deps
        again = DeadLetter(
            topic=f"{topic}.dlq",
            partition=0,
            offset=0,
            source_topic=topic,
            key=poisoned.key(),
            headers=poisoned.kafka_headers(),
            payload=poisoned.to_bytes(),
            error_type="PoisonedForTestError",
            error="again",
            attempts=2,
        )
        await handle_inbound_dead_letter(again, deps)
        await handle_inbound_dead_letter(
            DeadLetter(**{**again.__dict__, "offset": 1, "error": "died again"}), deps
        )
        [letter] = (await http.get(base, headers=viewer)).json()
        assert (letter["times_dead_lettered"], letter["error"]) == (2, "died again")

        # Resolved before the replay: without the replay rule the assistant would answer now.
        conversation = letter["conversation_id"]
        resolved = await http.post(
            f"/v1/tenants/{tenant_id}/conversations/{conversation}/resolve", headers=admin
        )
        assert resolved.json()["state"] == "resolved"
        replayed = await http.post(f"{base}/{poisoned.id}/replay", headers=admin)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["status"] == "replayed"
        twice = await http.post(f"{base}/{poisoned.id}/replay", headers=admin)
        assert (twice.status_code, twice.json()["status"]) == (409, 409)
        unknown = await http.post(f"{base}/{uuid.uuid4()}/replay", headers=admin)
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")
        await eventually(lambda: _stored_once(postgres_url, tenant_id, poisoned.data.message_id))
        platform = await http.get(
            "/v1/platform/dead-letters",
            params={"tenant_id": tenant_id},
            headers=bearer(SIGNER.platform()),
        )
        assert [d["status"] for d in platform.json()] == ["replayed"]
        assert (await http.get("/v1/platform/dead-letters", headers=admin)).status_code == 403

    staged = await staged_replies_at(postgres_url, tenant_id)
    assert [body_of(e) for e in staged] == [HOLDING_EN], "one holding message, no reply on replay"
    assert staged[0].data.reply_to == poisoned.data.message_id
    changes = [e.data for e in tail.of(ConversationChanged)]
    assert [(c.transition, c.actor) for c in changes] == [
        ("opened", "customer"),
        ("escalated", "system"),
    ]
    assert changes[1].reason == "dead_letter: PoisonedForTestError"


async def _stored_once(postgres_url: str, tenant_id: str, wamid: str) -> bool:
    return await stored(postgres_url, messages_with(tenant_id, wamid)) == 1


async def test_replay_all_replays_only_the_tenants_dead_ones(postgres_url: str) -> None:
    """Straight through the handlers on PostgreSQL: two tenants' dead letters, one tenant's
    replay-all stages only its own, and only once."""
    await upgrade_database(postgres_url, "bancone_agent.migrations")

    engine = create_engine(postgres_url)
    deps = AgentDeps(
        sessions=sessions_of(engine),
        assistant=None,  # type: ignore[arg-type]  # no turn runs here
        tools_for=lambda _: Cellar(),
        shop_for=lambda _: Shop("Enoteca Prova"),
    )
    tenants = [f"shop-{uuid.uuid4().hex[:10]}" for _ in range(2)]
    topic = f"t-{uuid.uuid4().hex[:8]}"
    try:
        for n, tenant in enumerate(tenants):
            for m in range(2):
                event = inbound(tenant, f"39333000{n}{m:03d}", "ciao")
                letter = DeadLetter(
                    topic=f"{topic}.dlq",
                    partition=0,
                    offset=n * 10 + m,
                    source_topic=topic,
                    key=event.key(),
                    headers=event.kafka_headers(),
                    payload=event.to_bytes(),
                    error_type="RuntimeError",
                    error="boom",
                    attempts=5,
                )
                await handle_inbound_dead_letter(letter, deps)
        first = await replay_dead_letters(ReplayDeadLetters(tenants[0], "ops"), deps)
        second = await replay_dead_letters(ReplayDeadLetters(tenants[0], "ops"), deps)
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.select(col(DeadLetterRecord.tenant_id), col(DeadLetterRecord.status)).where(
                    col(DeadLetterRecord.tenant_id).in_(tenants)
                )
            )
            statuses = sorted(rows.all())
            replays = await connection.scalar(
                sa.select(sa.func.count()).where(col(OutboxRecord.topic) == topic)
            )
    finally:
        await engine.dispose()
    assert [row.tenant_id for row in first] == [tenants[0]] * 2
    assert second == []
    assert statuses == sorted([(tenants[0], "replayed")] * 2 + [(tenants[1], "dead")] * 2)
    assert replays == 2
