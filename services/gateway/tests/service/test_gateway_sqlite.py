"""The embedded default (`make run`): the same gateway on a SQLite file, real Kafka."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bancone_contracts.events import ChannelChanged, parse_event
from bancone_contracts.topics import CHANNEL, INBOUND
from bancone_gateway.domain.signature import sign
from bancone_kit.db.migrations import upgrade_database

pytestmark = pytest.mark.service


async def test_on_sqlite_a_webhook_publishes_once_and_the_channel_event_is_relayed(
    make_gateway: Callable[..., Any],
    sqlite_url: str,
    wa: Any,
    topic_window: Any,
    unique: Callable[[str], str],
) -> None:
    await upgrade_database(sqlite_url, "bancone_gateway.migrations")
    inbound, channels = await topic_window(INBOUND), await topic_window(CHANNEL)
    tenant, pnid, secret = unique("lite"), unique("pn"), "app-secret-sqlite"
    message = wa.text("393331119999", "Ciao dal file")
    body = wa.encode(wa.payload(wa.value(pnid, messages=[message])))

    async with make_gateway(database_url=sqlite_url) as gateway:
        await gateway.client.put(
            f"/v1/tenants/{tenant}", json={"name": "Lite"}, headers=gateway.admin
        )
        registered = await gateway.client.put(
            f"/v1/tenants/{tenant}/channels/{pnid}",
            json={
                "verify_token": "verify-lite-1",
                "app_secret": secret,
                "access_token": "EAAG-lite-tok",
            },
            headers=gateway.admin,
        )
        answers = [
            await gateway.client.post(
                "/webhooks/whatsapp",
                content=body,
                headers={"X-Hub-Signature-256": sign(body, secret)},
            )
            for _ in range(2)
        ]
        relayed = await channels.read_until(lambda rs: any(r.key == pnid.encode() for r in rs))

    assert registered.status_code == 201
    assert [a.json()["published"] for a in answers] == [1, 0]
    events = [parse_event(INBOUND, r.value) for r in await inbound.read()]
    assert [e.data.message_id for e in events if e.tenant_id == tenant] == [message["id"]]
    [change] = [parse_event(CHANNEL, r.value) for r in relayed if r.key == pnid.encode()]
    assert isinstance(change, ChannelChanged)
    assert change.data.change == "registered"
