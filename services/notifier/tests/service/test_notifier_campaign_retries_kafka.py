"""Campaign retries through the notifier's HTTP API, with the notifier as it runs (real Kafka,
PostgreSQL, the WhatsApp sandbox as Graph API): a recipient whose send failed for a retryable
reason is queued again, and the campaign's progress says how many wait for a retry, after how
many failed attempts, and when the first may be tried again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from bancone_contracts.common import utc_now
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_kit.testing.polling import eventually
from services.notifier.tests.support.kafka import KafkaHarness, running_harness

pytestmark = pytest.mark.service

EVENTS = (ChannelChanged, OutboundMessageRequested, WhatsAppStatusUpdated, InboundMessageReceived)
TEMPLATE = "nuova_offerta"


@pytest.fixture
async def harness(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[KafkaHarness]:
    """One send at a time, one Graph call per send (no send-path retries), unpaced."""
    async with running_harness(
        KafkaHarness,
        postgres_url,
        kafka_bootstrap,
        new_topic,
        EVENTS,
        campaign_poll_seconds=0.1,
        campaign_batch_size=1,
        campaign_concurrency=1,
        send_max_attempts=1,
        pacing_enabled=False,
    ) as found:
        await found.register_template(
            TEMPLATE, components=[{"type": "BODY", "text": "Novità in enoteca!"}]
        )
        yield found


async def test_a_recipient_queued_again_after_a_5xx_shows_as_waiting_for_a_retry(
    harness: KafkaHarness,
) -> None:
    shop = harness.shop
    base = f"/v1/tenants/{shop.tenant_id}/campaigns"
    async with harness.notifier(campaign_retry_delay_seconds=3600) as (_, client):
        customers = await harness.customers(shop, 3)
        fault = await harness.sandbox.post(
            "/sandbox/faults",
            json={"status": 503, "count": 1, "phone_number_id": shop.phone_number_id},
        )
        assert fault.status_code == 201, fault.text
        started = utc_now()
        body = {
            "name": "Natale",
            "phone_number_id": shop.phone_number_id,
            "template": {"name": TEMPLATE, "language": "it", "category": "marketing"},
            "segment": {"customers": customers},
            "send_now": True,
        }
        created = await client.post(base, json=body)
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]

        async def settled() -> dict[str, Any] | None:
            found: dict[str, Any] = (await client.get(f"{base}/{campaign_id}")).json()
            return found if found["counts"].get("sent") == 2 and found["retrying"] else None

        report = await eventually(settled)
        assert report["state"] == "running"
        assert report["retrying"] == 1
        assert report["retry_attempts"] == {"1": 1}
        assert report["counts"]["queued"] == 1, "waiting for a retry is still queued"
        assert report["failed"] == {}
        next_try = datetime.fromisoformat(report["next_retry_at"])
        assert next_try >= started + timedelta(seconds=3600)
        [listed] = (await client.get(base)).json()["items"]
        assert {k: listed[k] for k in ("retrying", "retry_attempts", "next_retry_at")} == {
            k: report[k] for k in ("retrying", "retry_attempts", "next_retry_at")
        }
        assert sum([len(await harness.sent_to(c)) for c in customers]) == 2
