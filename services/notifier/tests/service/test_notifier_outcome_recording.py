"""The send's outcome is recorded even when the database dropped the pool's connections while
the request was out (a restart): the notifier's pool does not ping connections, so the first
transaction after the drop fails and the outcome is recorded again on a fresh connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters import repository
from bancone_notifier.consent_handlers import ComplianceRules
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.sending import SendOutcome
from bancone_notifier.handlers import handle_channel_changed
from bancone_notifier.outbound_sending import handle_outbound_requested
from services.notifier.tests.support import EventFactory, FakeGraphApi, new_keyring, new_wa_id

pytestmark = pytest.mark.service


async def drop_other_connections(database_url: str) -> int:
    """What a database restart does to the pool: every other session of the database ends."""
    url = make_url(database_url).set(drivername="postgresql")
    admin = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        dropped = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    return len(dropped)


class GraphDuringARestart(FakeGraphApi):
    """Accepts the message, and the database drops the notifier's connections meanwhile."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.database_url = database_url
        self.dropped = 0

    async def send_message(
        self, phone_number_id: str, access_token: str, body: Mapping[str, Any]
    ) -> SendOutcome:
        self.dropped += await drop_other_connections(self.database_url)
        return await super().send_message(phone_number_id, access_token, body)


async def test_an_outcome_is_recorded_on_a_fresh_connection_after_the_pool_was_dropped(
    postgres_url: str,
) -> None:
    await upgrade_database(postgres_url, "bancone_notifier.migrations")
    engine = create_engine(postgres_url, pool_size=2, pool_pre_ping=False)
    events = EventFactory(keyring=new_keyring())
    graph = GraphDuringARestart(postgres_url)
    deps = NotifierDeps(
        sessions=session_factory(engine),
        graph=graph,
        channel_box=SecretBox(Keyring.parse(events.keyring)),
        send_retry=RetryPolicy(attempts=1, initial_delay=0.0, max_delay=0.0),
        rules=ComplianceRules(enforce_window=False),
    )
    try:
        await handle_channel_changed(events.channel(), deps)
        event = events.outbound(new_wa_id(), operator_id="op-1")

        report = await handle_outbound_requested(event, deps)

        assert graph.dropped >= 1, "the pooled connection was dropped while the request was out"
        assert report is not None
        assert len(graph.calls) == 1
        async with deps.sessions() as session:
            row = await repository.get_outbound(session, event.data.outbound_id)
        assert row is not None
        assert row.state == "accepted", "recorded, not left `sending` (reported unknown later)"
        assert row.wamid is not None
        assert row.wamid.startswith("wamid.FAKE")
    finally:
        await engine.dispose()
