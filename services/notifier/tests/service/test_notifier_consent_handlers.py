"""The consent and window handlers on a real database (PostgreSQL and SQLite), without Kafka:
tenant keywords, opt-ins from outside WhatsApp, out-of-order events, a window that only moves
forward."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_contracts.common import utc_now
from bancone_contracts.events.inbound import MessageEdit
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters import consent_store
from bancone_notifier.adapters.tables import OutboundMessageRecord
from bancone_notifier.consent_handlers import (
    RecordOptIn,
    SetConsentKeywords,
    handle_inbound_received,
    handle_whatsapp_update,
    record_opt_in,
    set_consent_keywords,
)
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.consent import ConsentKeyword, InvalidKeywordError
from bancone_notifier.handlers import handle_channel_changed
from bancone_notifier.outbound_sending import handle_outbound_requested
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


@pytest.fixture
def events() -> EventFactory:
    return EventFactory(keyring=new_keyring(), tenant_id=f"t-{uuid.uuid4().hex[:10]}")


def deps_for(engine: AsyncEngine, events: EventFactory, graph: FakeGraphApi) -> NotifierDeps:
    return NotifierDeps(
        sessions=session_factory(engine),
        graph=graph,
        channel_box=SecretBox(Keyring.parse(events.keyring)),
        send_retry=RetryPolicy(attempts=1, initial_delay=0.0, max_delay=0.0),
    )


async def status_of(engine: AsyncEngine, tenant_id: str, customer: str) -> str | None:
    async with session_factory(engine)() as session:
        return await consent_store.consent_status(session, tenant_id, customer)


async def test_a_tenants_own_keywords_replace_the_defaults_for_that_tenant_only(
    engine: AsyncEngine, events: EventFactory
) -> None:
    deps = deps_for(engine, events, FakeGraphApi())
    other = EventFactory(keyring=events.keyring, tenant_id=f"o-{uuid.uuid4().hex[:10]}")
    customer = new_wa_id()
    own = (ConsentKeyword("fermati", "opt_out", "it"), ConsentKeyword("riprendi", "opt_in", "it"))
    await set_consent_keywords(SetConsentKeywords(events.tenant_id, own), deps)

    await handle_inbound_received(events.inbound(customer, "STOP"), deps)
    assert await status_of(engine, events.tenant_id, customer) is None
    await handle_inbound_received(events.inbound(customer, "Fermati per favore"), deps)
    assert await status_of(engine, events.tenant_id, customer) == "opted_out"
    await handle_inbound_received(other.inbound(customer, "STOP"), deps)
    assert await status_of(engine, other.tenant_id, customer) == "opted_out"


async def test_a_keyword_that_could_never_match_is_refused_and_nothing_changes(
    engine: AsyncEngine, events: EventFactory
) -> None:
    deps = deps_for(engine, events, FakeGraphApi())
    for unusable in ("per favore", "", "stop " * 9):
        with pytest.raises(InvalidKeywordError):
            await set_consent_keywords(
                SetConsentKeywords(events.tenant_id, (ConsentKeyword(unusable, "opt_out", "it"),)),
                deps,
            )
    async with session_factory(engine)() as session:
        keywords = await consent_store.keywords(session, events.tenant_id)
    assert any(k.phrase == "stop" for k in keywords), "still the defaults"


async def test_an_opt_in_from_a_web_form_is_in_the_ledger_once_with_its_proof(
    engine: AsyncEngine, events: EventFactory
) -> None:
    deps = deps_for(engine, events, FakeGraphApi())
    customer = new_wa_id()
    command = RecordOptIn(
        tenant_id=events.tenant_id,
        customer_id=customer,
        source="web_form",
        proof="checkbox 'offerte via WhatsApp' on /checkout, IP 203.0.113.7",
        occurred_at=utc_now(),
        request_id=uuid.uuid4(),
    )

    assert await record_opt_in(command, deps) is True
    assert await record_opt_in(command, deps) is False

    async with session_factory(engine)() as session:
        [entry] = await consent_store.consent_history(session, events.tenant_id, customer)
    assert (entry.action, entry.source, entry.proof) == ("opt_in", "web_form", command.proof)
    assert await status_of(engine, events.tenant_id, customer) == "opted_in"


async def test_an_older_opt_in_arriving_late_does_not_undo_a_newer_opt_out(
    engine: AsyncEngine, events: EventFactory
) -> None:
    deps = deps_for(engine, events, FakeGraphApi())
    customer = new_wa_id()
    await handle_whatsapp_update(events.marketing_preference(customer, "stop"), deps)
    late = RecordOptIn(
        tenant_id=events.tenant_id,
        customer_id=customer,
        source="web_form",
        proof="form of last week",
        occurred_at=utc_now() - timedelta(days=7),
        request_id=uuid.uuid4(),
    )

    await record_opt_in(late, deps)

    assert await status_of(engine, events.tenant_id, customer) == "opted_out"
    async with session_factory(engine)() as session:
        history = await consent_store.consent_history(session, events.tenant_id, customer)
    assert [e.action for e in history] == ["opt_in", "opt_out"], "both kept, in time order"


async def test_a_late_old_inbound_does_not_close_a_window_a_newer_one_opened(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi()
    deps = deps_for(engine, events, graph)
    customer = new_wa_id()
    await handle_channel_changed(events.channel(), deps)
    await handle_inbound_received(events.inbound(customer, "Ciao"), deps)
    old = events.inbound(customer, "messaggio di ieri", at=utc_now() - timedelta(hours=30))
    await handle_inbound_received(old, deps)
    outbound = events.outbound(customer)

    await handle_outbound_requested(outbound, deps)

    async with session_factory(engine)() as session:
        row = await session.get(OutboundMessageRecord, outbound.data.outbound_id)
    assert row is not None
    assert row.state == "accepted"
    assert len(graph.calls) == 1


async def test_the_same_inbound_handled_twice_is_one_ledger_entry(
    engine: AsyncEngine, events: EventFactory
) -> None:
    deps = deps_for(engine, events, FakeGraphApi())
    customer = new_wa_id()
    inbound = events.inbound(customer, "ALTO")

    await handle_inbound_received(inbound, deps)
    await handle_inbound_received(inbound, deps)

    async with session_factory(engine)() as session:
        history = await consent_store.consent_history(session, events.tenant_id, customer)
    assert [(e.action, e.source) for e in history] == [("opt_out", "keyword")]


async def test_an_edit_is_seen_for_the_reply_quoting_it_but_renews_no_window(
    engine: AsyncEngine, events: EventFactory
) -> None:
    deps = deps_for(engine, events, FakeGraphApi())
    customer = new_wa_id()
    typed = events.inbound(customer, "STOP")
    edit = typed.model_copy(
        update={
            "data": typed.data.model_copy(
                update={"edit": MessageEdit(original_message_id="wamid.ORIGINAL")}
            )
        }
    )

    await handle_inbound_received(edit, deps)

    async with session_factory(engine)() as session:
        assert await consent_store.inbound_seen(session, events.tenant_id, edit.data.message_id)
        last = await consent_store.last_inbound_at(
            session, events.tenant_id, events.phone_number_id, customer
        )
    assert last is None
    assert await status_of(engine, events.tenant_id, customer) is None, "an edit opts nobody out"
