"""The notifier's sends at `/metrics`: one count per message by how its send ended and the
Graph API error code, one per Graph call (retries included), plus the kit's HTTP series."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.testing.service_checks import assert_http_series_served
from bancone_notifier.bootstrap import build_app
from bancone_notifier.consent_handlers import ComplianceRules
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.sending import (
    Accepted,
    GraphError,
    NotSent,
    Rejected,
    SendOutcome,
    Unknown,
)
from bancone_notifier.handlers import handle_channel_changed
from bancone_notifier.metrics import outcome_labels
from bancone_notifier.outbound_sending import handle_outbound_requested
from bancone_notifier.settings import NotifierSettings
from services.notifier.tests.support import EventFactory, FakeGraphApi, new_keyring, new_wa_id

pytestmark = pytest.mark.unit

SENDING_ONLY = ComplianceRules(enforce_window=False)
"""These tests are about sending mechanics; the window has its own (test_notifier_consent_*)."""


def sends(outcome: str, error_code: str = "") -> float:
    labels = {"outcome": outcome, "error_code": error_code}
    return REGISTRY.get_sample_value("bancone_notifier_sends_total", labels) or 0.0


def graph_calls(outcome: str, error_code: str = "") -> float:
    labels = {"outcome": outcome, "error_code": error_code}
    return REGISTRY.get_sample_value("bancone_notifier_graph_requests_total", labels) or 0.0


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(sqlite_url, "bancone_notifier.migrations")
    eng = create_engine(sqlite_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def events() -> EventFactory:
    return EventFactory(keyring=new_keyring())


async def send_one(
    engine: AsyncEngine,
    events: EventFactory,
    *outcomes: SendOutcome,
    channel: Literal["registered", "disabled"] = "registered",
) -> None:
    deps = NotifierDeps(
        sessions=session_factory(engine),
        graph=FakeGraphApi(*outcomes),
        channel_box=SecretBox(Keyring.parse(events.keyring)),
        send_retry=RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0),
        rules=SENDING_ONLY,
    )
    await handle_channel_changed(events.channel(channel), deps)
    await handle_outbound_requested(events.outbound(new_wa_id()), deps)


async def test_a_throttled_then_accepted_send_counts_one_message_and_two_graph_calls(
    engine: AsyncEngine, events: EventFactory
) -> None:
    before = (sends("accepted"), graph_calls("rejected", "130429"), graph_calls("accepted"))
    await send_one(engine, events, Rejected(GraphError(429, code=130429)), Accepted("wamid.M1"))
    after = (sends("accepted"), graph_calls("rejected", "130429"), graph_calls("accepted"))
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1)


async def test_a_permanent_refusal_counts_under_its_graph_error_code(
    engine: AsyncEngine, events: EventFactory
) -> None:
    before = sends("rejected", "131026")
    await send_one(engine, events, Rejected(GraphError(400, code=131026, title="Undeliverable")))
    assert sends("rejected", "131026") == before + 1


async def test_an_unknown_outcome_and_a_refused_channel_are_counted(
    engine: AsyncEngine, events: EventFactory
) -> None:
    before = sends("unknown"), sends("refused")
    await send_one(engine, events, Unknown("read timeout"))
    await send_one(engine, EventFactory(keyring=new_keyring()), channel="disabled")
    assert (sends("unknown"), sends("refused")) == (before[0] + 1, before[1] + 1)


def test_outcome_labels_keep_the_error_code_bounded() -> None:
    assert outcome_labels(Accepted("wamid.X")) == ("accepted", "")
    assert outcome_labels(Rejected(GraphError(400, code=131047))) == ("rejected", "131047")
    assert outcome_labels(Rejected(GraphError(502))) == ("rejected", "http_502")
    assert outcome_labels(NotSent("connect refused")) == ("unreachable", "")
    assert outcome_labels(Unknown("read timeout")) == ("unknown", "")


async def test_notifier_metrics_endpoint_serves_http_and_send_series() -> None:
    app = build_app(NotifierSettings(database_url="sqlite+aiosqlite:///:memory:"))
    scrape = await assert_http_series_served(app, "GET", "/v1/nothing-here", route="unmatched")
    assert scrape.request_status == 404
    assert "# TYPE bancone_notifier_sends_total counter" in scrape.text
    assert "# TYPE bancone_notifier_graph_requests_total counter" in scrape.text
    assert "# TYPE faststream_received_messages_total counter" in scrape.text
