"""The negative cache of template sync-on-miss, on a real database (PostgreSQL and SQLite) and
the sandbox's real template endpoints: a burst of sends of a misspelt template makes one Graph
lookup (each send refused with 132001, none sent); once the entry expires the name is asked
for again, and a template Meta has by then is synced and sent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_contracts.events.outbound import OutboundTemplate
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters import repository
from bancone_notifier.adapters.graph_templates import HttpxTemplateApi
from bancone_notifier.consent_handlers import ComplianceRules
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.handlers import handle_channel_changed
from bancone_notifier.outbound_sending import handle_outbound_requested
from bancone_notifier.template_misses import TemplateMisses
from bancone_sandbox import ChannelConfig, SandboxSettings
from bancone_sandbox.testing import running_sandbox
from services.notifier.tests.support import EventFactory, FakeGraphApi, new_keyring, new_wa_id

pytestmark = pytest.mark.service

VERSION = "v23.0"
TTL = 300.0
BURST = 12


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(database_url, "bancone_notifier.migrations")
    eng = create_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def events() -> EventFactory:
    return EventFactory(keyring=new_keyring(), tenant_id=f"t-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def sandbox_url(events: EventFactory) -> Iterator[str]:
    channel = ChannelConfig(
        phone_number_id=events.phone_number_id,
        access_token=events.access_token,
        waba_id=events.waba_id,
    )
    with running_sandbox(SandboxSettings(channels=[channel])) as url:
        yield url


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Meta:
    """The sandbox's template endpoints, and every lookup the notifier made there."""

    http: httpx.AsyncClient
    lookups: list[str]


@pytest.fixture
async def meta(sandbox_url: str) -> AsyncIterator[Meta]:
    lookups: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.method == "GET" and request.url.path.endswith("/message_templates"):
            lookups.append(request.url.params.get("name", ""))

    async with httpx.AsyncClient(event_hooks={"request": [count]}) as http:
        yield Meta(http, lookups)


def template(name: str) -> OutboundTemplate:
    return OutboundTemplate(name=name, language_code="it", category="utility")


async def test_a_burst_of_a_misspelt_template_makes_one_lookup_until_the_entry_expires(
    engine: AsyncEngine, events: EventFactory, sandbox_url: str, meta: Meta
) -> None:
    clock = Clock()
    graph = FakeGraphApi()
    deps = NotifierDeps(
        sessions=session_factory(engine),
        graph=graph,
        channel_box=SecretBox(Keyring.parse(events.keyring)),
        send_retry=RetryPolicy(attempts=1, initial_delay=0.0, max_delay=0.0),
        rules=ComplianceRules(enforce_window=False),
        templates=HttpxTemplateApi(meta.http, sandbox_url, VERSION),
        template_misses=TemplateMisses(TTL, clock=clock),
    )
    await handle_channel_changed(events.channel(), deps)
    burst = [events.outbound(new_wa_id(), template("ordre_pronto")) for _ in range(BURST)]

    await asyncio.gather(*(handle_outbound_requested(e, deps) for e in burst))
    for _ in range(3):  # later sends inside the period: no lookup either
        await handle_outbound_requested(
            events.outbound(new_wa_id(), template("ordre_pronto")), deps
        )

    assert meta.lookups == ["ordre_pronto"]
    async with deps.sessions() as session:
        for event in burst:
            row = await repository.get_outbound(session, event.data.outbound_id)
            assert row is not None
            assert (row.state, row.error_code) == ("failed", 132001)
    assert graph.calls == [], "nothing sent"

    # Meta gets the template meanwhile (approved at once in the sandbox): refused until the
    # entry expires, then looked up once more, synced and sent.
    created = await HttpxTemplateApi(meta.http, sandbox_url, VERSION).create_template(
        events.waba_id,
        events.access_token,
        {
            "name": "ordre_pronto",
            "language": "it",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Il tuo ordine è pronto."}],
        },
    )
    assert created["status"] == "APPROVED"
    clock.now += TTL - 1
    await handle_outbound_requested(events.outbound(new_wa_id(), template("ordre_pronto")), deps)
    assert len(meta.lookups) == 1
    clock.now += 1
    late = events.outbound(new_wa_id(), template("ordre_pronto"))
    await handle_outbound_requested(late, deps)

    assert meta.lookups == ["ordre_pronto", "ordre_pronto"]
    async with deps.sessions() as session:
        row = await repository.get_outbound(session, late.data.outbound_id)
    assert row is not None
    assert row.state == "accepted"
    assert len(graph.calls) == 1


async def test_a_ttl_of_zero_asks_every_time(
    engine: AsyncEngine, events: EventFactory, sandbox_url: str, meta: Meta
) -> None:
    deps = NotifierDeps(
        sessions=session_factory(engine),
        graph=FakeGraphApi(),
        channel_box=SecretBox(Keyring.parse(events.keyring)),
        send_retry=RetryPolicy(attempts=1, initial_delay=0.0, max_delay=0.0),
        rules=ComplianceRules(enforce_window=False),
        templates=HttpxTemplateApi(meta.http, sandbox_url, VERSION),
        template_misses=TemplateMisses(0),
    )
    await handle_channel_changed(events.channel(), deps)
    for _ in range(3):
        await handle_outbound_requested(events.outbound(new_wa_id(), template("nessuno")), deps)
    assert meta.lookups == ["nessuno"] * 3
