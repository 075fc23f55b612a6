"""The answer deadline on real PostgreSQL and Kafka: a webhook whose batch is held up (here by
a table lock, as a slow disk or a long checkpoint would) is answered 503 + Retry-After when
the deadline passes, not when the batch ends; the batch then commits, and Meta's retry is a
duplicate: the event is on Kafka once, none lost and none sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from bancone_contracts.topics import INBOUND
from bancone_gateway.domain.signature import sign
from bancone_kit.db import create_engine
from services.gateway.tests.support_webhook import Channel, events_of, post, provision

pytestmark = pytest.mark.service

DEADLINE = 0.3


async def test_a_held_up_batch_is_answered_503_at_the_deadline_and_the_retry_is_a_duplicate(
    make_gateway: Callable[..., Any],
    gateway_db: str,
    unique: Callable[[str], str],
    wa: Any,
    topic_window: Any,
) -> None:
    async with make_gateway(webhook_max_answer_seconds=DEADLINE) as gateway:
        channel: Channel = await provision(gateway, unique("shop"), unique("pn"))
        inbound = await topic_window(INBOUND)
        message = wa.text("393335550001", "Ciao")
        body = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[message])))
        signature = sign(body, channel.app_secret)

        locker = create_engine(gateway_db)
        try:
            async with locker.connect() as connection:
                await connection.execute(sa.text("LOCK TABLE webhook_receipts IN EXCLUSIVE MODE"))
                async with asyncio.timeout(10):  # without the deadline: never answered
                    refused = await post(gateway, body, signature)
                stored_while_locked = await gateway.scalar(
                    "SELECT count(*) FROM webhook_receipts WHERE dedupe_key = :key",
                    key=f"msg:{message['id']}",
                )
                await connection.rollback()  # the lock goes; the held-up batch commits
        finally:
            await locker.dispose()

        async with asyncio.timeout(30):
            retried = await post(gateway, body, signature)
            while retried.status_code == 503:  # Meta retries until it is answered
                await asyncio.sleep(0.05)
                retried = await post(gateway, body, signature)

    assert refused.status_code == 503
    assert refused.headers.get("retry-after") == "2"
    assert stored_while_locked == 0
    assert retried.status_code == 200
    assert retried.json()["published"] == 0
    assert retried.json()["duplicates"] == 1
    on_kafka = [
        e.data.message_id for e in events_of(await inbound.read(), INBOUND, channel.tenant_id)
    ]
    assert on_kafka == [message["id"]]
