"""The campaign runner on a real database (PostgreSQL and SQLite, as `make run` uses), driven
round by round: claims recovered after a crash, another runner's live claim left alone until
its lease runs out, nothing sent twice."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bancone_contracts.common import utc_now
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters import campaign_store
from bancone_notifier.adapters.tables import CampaignRecipientRecord
from bancone_notifier.campaign_handlers import (
    CreateCampaign,
    change_campaign,
    create_campaign,
    get_campaign,
    recipient_outbound_id,
    start_if_due,
)
from bancone_notifier.campaign_runner import CampaignRunner, RunnerSettings
from bancone_notifier.consent_handlers import ComplianceRules, RecordOptIn, record_opt_in
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.audience import Segment
from bancone_notifier.domain.campaigns import TemplateSpec, Variable
from bancone_notifier.domain.sending import GraphError, NotSent, Rejected, SendOutcome
from bancone_notifier.handlers import handle_channel_changed
from services.notifier.tests.support import EventFactory, FakeGraphApi, new_keyring, new_wa_id

pytestmark = pytest.mark.service


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(database_url, "bancone_notifier.migrations")
    eng = create_engine(database_url)
    yield eng
    await eng.dispose()


async def setup(
    engine: AsyncEngine, count: int
) -> tuple[NotifierDeps, FakeGraphApi, str, uuid.UUID]:
    """A tenant with a channel, `count` customers opted in from a web form, and a campaign to
    all of them scheduled for now (not started)."""
    events = EventFactory(keyring=new_keyring(), tenant_id=f"t-{uuid.uuid4().hex[:10]}")
    graph = FakeGraphApi()
    deps = NotifierDeps(
        sessions=session_factory(engine),
        graph=graph,
        channel_box=SecretBox(Keyring.parse(events.keyring)),
        send_retry=RetryPolicy(attempts=1, initial_delay=0.0, max_delay=0.0),
        # The runner's mechanics, not template checks (test_notifier_templates_kafka.py).
        rules=ComplianceRules(check_templates=False),
    )
    await handle_channel_changed(events.channel(), deps)
    customers = [new_wa_id() for _ in range(count)]
    for customer in customers:
        command = RecordOptIn(
            events.tenant_id, customer, "web_form", f"form {customer}", utc_now(), uuid.uuid4()
        )
        await record_opt_in(command, deps)
    view = await create_campaign(
        CreateCampaign(
            tenant_id=events.tenant_id,
            name="Natale",
            phone_number_id=events.phone_number_id,
            template=TemplateSpec("nuova_offerta", "it", "marketing", (Variable(value="x"),)),
            segment=Segment(),
            schedule=True,
        ),
        deps,
    )
    return deps, graph, events.tenant_id, view.id


def recipients_of(graph: FakeGraphApi) -> list[str]:
    return sorted(call.body["to"] for call in graph.calls)


async def customers_of(deps: NotifierDeps, campaign: uuid.UUID) -> list[str]:
    async with deps.sessions() as session:
        rows = await session.exec(
            select(CampaignRecipientRecord).where(CampaignRecipientRecord.campaign_id == campaign)
        )
        return sorted(r.customer_id for r in rows.all())


async def age_claims(deps: NotifierDeps, campaign: uuid.UUID, age: timedelta) -> None:
    table = CampaignRecipientRecord.__table__  # type: ignore[attr-defined]
    async with deps.sessions() as session, session.begin():
        connection = await session.connection()
        await connection.execute(
            sa.update(table)
            .where(table.c.campaign_id == campaign, table.c.state == "claimed")
            .values(claimed_at=utc_now() - age)
        )


async def test_a_claim_left_by_a_dead_runner_is_sent_once_after_its_lease_and_not_before(
    engine: AsyncEngine,
) -> None:
    deps, graph, tenant, campaign = await setup(engine, 5)
    assert await start_if_due(tenant, campaign, deps) == "running"
    async with deps.sessions() as session, session.begin():
        claimed = await campaign_store.claim_batch(
            session, campaign, runner_id="other", stale_before=utc_now(), limit=2
        )
    others = {c.customer_id for c in claimed}
    runner = CampaignRunner(deps, RunnerSettings(batch_size=10, claim_lease_seconds=3600))

    assert await runner.run_once() is True
    everyone = await customers_of(deps, campaign)
    assert recipients_of(graph) == [c for c in everyone if c not in others]
    assert await runner.run_once() is False  # the other runner's claims are still its own
    assert (await get_campaign(tenant, campaign, deps)).state == "running"

    await age_claims(deps, campaign, timedelta(hours=2))  # ... until its lease runs out
    assert await runner.run_once() is True
    assert await runner.run_once() is False  # nothing left: completed
    assert recipients_of(graph) == everyone
    view = await get_campaign(tenant, campaign, deps)
    assert view.state == "completed"
    assert view.progress.counts is not None
    assert (view.progress.total, view.progress.counts["sent"]) == (5, 5)


async def test_a_cancelled_campaign_sends_nothing_more(engine: AsyncEngine) -> None:
    deps, graph, tenant, campaign = await setup(engine, 3)
    runner = CampaignRunner(deps, RunnerSettings(batch_size=1, concurrency=1, round_seconds=0))
    await runner.run_once()
    await change_campaign(tenant, campaign, "cancel", deps)

    assert await runner.run_once() is False
    view = await get_campaign(tenant, campaign, deps)
    assert len(graph.calls) == 1
    assert view.state == "cancelled"
    assert view.progress.counts is not None
    assert (view.progress.counts["sent"], view.progress.counts["queued"]) == (1, 2)


async def test_a_send_that_raises_keeps_its_claim_and_is_sent_once_on_a_later_round(
    engine: AsyncEngine,
) -> None:
    deps, graph, tenant, campaign = await setup(engine, 3)
    # A keyring that cannot open the channel's token: every send raises before its claim.
    runner = CampaignRunner(
        dataclasses.replace(deps, channel_box=SecretBox(Keyring.parse(new_keyring())))
    )

    assert await runner.run_once() is False  # no progress: the loop waits for the next poll
    assert graph.calls == []
    counts = (await get_campaign(tenant, campaign, deps)).progress.counts
    assert counts is not None
    assert counts["queued"] == 3

    runner.deps = deps  # the key arrives
    assert await runner.run_once() is True
    await runner.run_once()
    assert recipients_of(graph) == await customers_of(deps, campaign)
    assert (await get_campaign(tenant, campaign, deps)).state == "completed"


async def test_a_claim_is_two_statements_and_returns_the_claimed_rows(engine: AsyncEngine) -> None:
    """The candidates' keys, then one conditional UPDATE … RETURNING (no third read)."""
    deps, _, tenant, campaign = await setup(engine, 3)
    assert await start_if_due(tenant, campaign, deps) == "running"
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with deps.sessions() as session, session.begin():
            claimed = await campaign_store.claim_batch(
                session, campaign, runner_id="me", stale_before=utc_now(), limit=2
            )
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)

    claims = [s for s in statements if "campaign_recipients" in s]
    assert len(claims) == 2, claims
    assert [(r.state, r.claimed_by) for r in claimed] == [("claimed", "me")] * 2
    assert [r.customer_id for r in claimed] == (await customers_of(deps, campaign))[:2]
    assert all(r.tenant_id == tenant and r.parameters == ["x"] for r in claimed)


async def test_a_send_that_reached_no_one_is_tried_again_with_a_new_outbound_id_and_sent_once(
    engine: AsyncEngine,
) -> None:
    deps, graph, tenant, campaign = await setup(engine, 3)
    graph.outcomes = [NotSent("connection refused")]  # the first send of the campaign
    runner = CampaignRunner(deps, RunnerSettings(retry_delay_seconds=0))
    await runner.run_once()
    await runner.run_once()  # the recipient queued again, now due
    await runner.run_once()

    view = await get_campaign(tenant, campaign, deps)
    assert view.state == "completed"
    assert view.progress.counts is not None
    assert view.progress.counts["sent"] == 3
    assert view.progress.failed is None or view.progress.failed == {}
    calls = recipients_of(graph)
    assert len(calls) == 4  # three customers, one of them twice
    [twice] = {c for c in calls if calls.count(c) == 2}
    async with deps.sessions() as session:
        row = await session.get(CampaignRecipientRecord, (campaign, twice))
    assert row is not None
    assert row.attempt == 1
    assert row.outbound_id == recipient_outbound_id(campaign, twice, 1)
    assert row.outbound_id != recipient_outbound_id(campaign, twice)


async def test_retries_stop_after_the_attempts_and_a_permanent_refusal_is_not_retried(
    engine: AsyncEngine,
) -> None:
    deps, _, tenant, campaign = await setup(engine, 2)
    assert await start_if_due(tenant, campaign, deps) == "running"
    first, second = await customers_of(deps, campaign)
    graph = ByRecipientGraph(
        {
            first: NotSent("connection refused"),  # never reachable
            second: Rejected(GraphError(400, code=131026, title="Message undeliverable")),
        }
    )
    runner = CampaignRunner(
        dataclasses.replace(deps, graph=graph),
        RunnerSettings(send_attempts=3, retry_delay_seconds=0),
    )
    for _ in range(5):
        await runner.run_once()

    calls = recipients_of(graph)
    assert (calls.count(first), calls.count(second)) == (3, 1)
    view = await get_campaign(tenant, campaign, deps)
    assert view.state == "completed"
    assert view.progress.counts is not None
    assert view.progress.counts["failed"] == 2


class ByRecipientGraph(FakeGraphApi):
    """Answers every send to a customer with that customer's outcome."""

    def __init__(self, outcomes: dict[str, SendOutcome]) -> None:
        super().__init__()
        self.by_recipient = outcomes

    async def send_message(
        self, phone_number_id: str, access_token: str, body: Mapping[str, Any]
    ) -> SendOutcome:
        await super().send_message(phone_number_id, access_token, body)
        return self.by_recipient[str(body["to"])]


class CountingGraph:
    """Wraps the test's graph: each send takes `seconds`, and the most sends ever in flight
    at once is kept."""

    def __init__(self, inner: FakeGraphApi, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds
        self.in_flight = self.most_in_flight = 0

    async def send_message(
        self, phone_number_id: str, access_token: str, body: Mapping[str, Any]
    ) -> SendOutcome:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.seconds)
            return await self.inner.send_message(phone_number_id, access_token, body)
        finally:
            self.in_flight -= 1


async def test_the_service_loop_keeps_the_window_full_instead_of_draining_it_each_round(
    engine: AsyncEngine,
) -> None:
    """`run_once` rounds end by letting every send in flight finish; the service's loop drives
    a campaign without rounds. With rounds of 0 s each round would claim one batch (2) and
    drain it; the loop claims the next batch while the first is still out (4 in flight)."""
    deps, graph, tenant, campaign = await setup(engine, 10)
    counting = CountingGraph(graph, seconds=0.3)
    settings = RunnerSettings(batch_size=2, concurrency=4, round_seconds=0, poll_seconds=0.05)
    runner = CampaignRunner(dataclasses.replace(deps, graph=counting), settings)
    runner.start()
    try:
        for _ in range(400):
            if (await get_campaign(tenant, campaign, deps)).state == "completed":
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.stop()

    assert (await get_campaign(tenant, campaign, deps)).state == "completed"
    assert recipients_of(graph) == await customers_of(deps, campaign), "each once"
    assert counting.most_in_flight == 4
