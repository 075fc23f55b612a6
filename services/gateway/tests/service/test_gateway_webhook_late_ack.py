"""An ack slower than the publish timeout, on real Kafka and PostgreSQL: the webhook fails (503)
while its send is still in flight, and Meta's retries of it must not put the event on the
topic a second time — whether they come while the first send is in flight, or after its late
ack (when the writer has recorded the receipt itself and the retry is a plain duplicate).

The slow ack is provoked with a publish timeout of a microsecond after a warm-up publish: the
send is handed to the producer without a suspension (metadata known, room in the batch), and
the timeout fires before the event loop can even write it to the socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa

from bancone_contracts.topics import INBOUND
from bancone_contracts.whatsapp import normalise, parse_webhook
from bancone_gateway.adapters.publisher import DirectKafkaPublisher, EventPublishError
from bancone_gateway.adapters.webhook_writer import WebhookWriter
from bancone_gateway.domain.receipts import Receipt, receipts_for
from bancone_kit.db import create_engine, session_factory

pytestmark = pytest.mark.service

SLOW = 1e-6
"""A publish timeout no ack can meet."""


def texts(wa: Any, phone_number_id: str, *wamids: str) -> list[Receipt]:
    messages = [wa.text("393330000001", "Ciao", wamid=w) for w in wamids]
    payload = wa.payload(wa.value(phone_number_id, messages=messages))
    return receipts_for(
        normalise(parse_webhook(wa.encode(payload)), {phone_number_id: "t1"}.get, source="gateway")
    )


@pytest.fixture
async def writer_on_kafka(
    gateway_db: str, kafka_bootstrap: str
) -> AsyncIterator[tuple[WebhookWriter, DirectKafkaPublisher]]:
    engine = create_engine(gateway_db)
    publisher = DirectKafkaPublisher(
        {"bootstrap_servers": kafka_bootstrap, "acks": "all", "enable_idempotence": True},
        timeout=30.0,
    )
    writer = WebhookWriter(session_factory(engine), publisher)
    yield writer, publisher
    await writer.stop()
    await publisher.stop()
    await engine.dispose()


async def copies_on_topic(window: Any, event_ids: set[str]) -> dict[str, int]:
    records = await window.read()
    counts = dict.fromkeys(event_ids, 0)
    for record in records:
        for event_id in event_ids:
            if event_id.encode() in record.value:
                counts[event_id] += 1
    return counts


async def receipts(gateway_db: str, keys: list[str]) -> int:
    engine = create_engine(gateway_db)
    try:
        async with engine.connect() as connection:
            statement = sa.text(
                "SELECT count(*) FROM webhook_receipts WHERE dedupe_key IN :keys"
            ).bindparams(sa.bindparam("keys", expanding=True))
            return int((await connection.execute(statement, {"keys": keys})).scalar_one())
    finally:
        await engine.dispose()


async def test_a_retry_after_an_ack_timeout_puts_the_event_on_kafka_once(
    writer_on_kafka: tuple[WebhookWriter, DirectKafkaPublisher],
    topic_window: Callable[[str], Any],
    gateway_db: str,
    unique: Callable[[str], str],
    wa: Any,
) -> None:
    writer, publisher = writer_on_kafka
    phone = unique("PN")
    window = await topic_window(INBOUND)
    assert await writer.write(texts(wa, phone, unique("wamid.warm")), []) != set()

    in_flight, acked_late = texts(wa, phone, unique("wamid.A")), texts(wa, phone, unique("wamid.B"))
    publisher.timeout = SLOW
    for first in (in_flight, acked_late):
        with pytest.raises(EventPublishError):
            await writer.write(first, [])

    # Meta's retry while the first send may still be in flight: no new send (the first one's
    # ack is awaited instead, likely still too slow for this timeout).
    with contextlib.suppress(EventPublishError):
        await writer.write(texts(wa, phone, in_flight[0].event.data.message_id), [])

    # The late acks come (both events reach the topic); then Meta retries both, with acks in
    # time now: each is a duplicate (the writer recorded its receipt on the late ack) or, if
    # its retry beat that, is answered from the first send's ack -- never sent again.
    ids = {str(r.event.id) for r in (*in_flight, *acked_late)}
    async with asyncio.timeout(30):
        while min((await copies_on_topic(window, ids)).values()) < 1:
            await asyncio.sleep(0.05)
    publisher.timeout = 30.0
    for receipt in (*in_flight, *acked_late):
        again = texts(wa, phone, receipt.event.data.message_id)
        assert await writer.write(again, []) <= {receipt.dedupe_key}

    assert await copies_on_topic(window, ids) == dict.fromkeys(ids, 1)
    keys = [r.dedupe_key for r in (*in_flight, *acked_late)]
    assert await receipts(gateway_db, keys) == 2
    assert writer.unconfirmed == 0


async def test_a_retry_while_the_first_send_is_in_flight_waits_for_its_ack(
    writer_on_kafka: tuple[WebhookWriter, DirectKafkaPublisher],
    topic_window: Callable[[str], Any],
    unique: Callable[[str], str],
    wa: Any,
) -> None:
    writer, publisher = writer_on_kafka
    phone = unique("PN")
    window = await topic_window(INBOUND)
    await writer.write(texts(wa, phone, unique("wamid.warm")), [])

    first = texts(wa, phone, unique("wamid.C"))
    publisher.timeout = SLOW
    with pytest.raises(EventPublishError):
        await writer.write(first, [])
    publisher.timeout = 30.0
    retried = await writer.write(texts(wa, phone, first[0].event.data.message_id), [])

    # 200 for it, as the one that published it (or, had the late ack been recorded before
    # the retry's batch, as a duplicate) -- and either way it was sent once
    assert retried <= {first[0].dedupe_key}
    ids = {str(first[0].event.id)}
    assert await copies_on_topic(window, ids) == dict.fromkeys(ids, 1)
    assert writer.unconfirmed == 0
