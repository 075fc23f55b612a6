"""Replaying webhook items set aside, after a fix: real PostgreSQL, real Kafka.

"A fix" here is an item an older parser refused (stored with that old error) that today's
parser accepts: replayed, it is published once — not again if Meta had meanwhile delivered
it live, nor on a second replay. An item that still fails stays with today's error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa

from bancone_contracts.topics import INBOUND
from bancone_contracts.whatsapp.normalise import message_event_id
from bancone_gateway.domain.signature import sign
from bancone_kit.db import create_engine
from services.gateway.tests.support_webhook import Channel, events_of, post, provision

pytestmark = pytest.mark.service

ITEMS = "/v1/webhook-rejected-items"


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> AsyncIterator[Any]:
    async with make_gateway() as running:
        yield running


async def set_aside(gateway: Any, channel: Channel, raw: dict[str, Any], error: str) -> int:
    """Store an item as an older parser would have: its raw JSON and that parser's error."""
    engine = create_engine(gateway.settings.database_url)
    try:
        async with engine.begin() as connection:
            item_id = await connection.scalar(
                sa.text(
                    "INSERT INTO webhook_rejected_items (dedupe_key, tenant_id, phone_number_id,"
                    " waba_id, field, kind, error, raw, received_at) VALUES (:key, :tenant,"
                    " :pnid, 'WABA1', 'messages', 'message', :error, :raw, now()) RETURNING id"
                ),
                {
                    "key": uuid.uuid4().hex,
                    "tenant": channel.tenant_id,
                    "pnid": channel.phone_number_id,
                    "error": error,
                    "raw": json.dumps(raw),
                },
            )
    finally:
        await engine.dispose()
    return int(item_id)


async def test_replay_publishes_what_now_parses_once_and_keeps_what_still_fails(
    gateway: Any, wa: Any, topic_window: Any, unique: Callable[[str], str]
) -> None:
    channel = await provision(gateway, unique("shop"), unique("pn"))
    inbound = await topic_window(INBOUND)
    fixed = wa.text("393331220101", "Ciao, avete del Barolo?")
    resent = wa.text("393331220102", "Buongiorno")
    still_bad = {**wa.text("393331220103", "x"), "timestamp": "soon"}
    fixed_id = await set_aside(gateway, channel, fixed, "text.body: old parser refused it")
    resent_id = await set_aside(gateway, channel, resent, "old parser refused it")
    bad_id = await set_aside(gateway, channel, still_bad, "old error")
    live = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[resent])))
    assert (await post(gateway, live, sign(live, channel.app_secret))).status_code == 200

    one = await gateway.client.post(f"{ITEMS}/{fixed_id}/replay", headers=gateway.admin)
    assert one.status_code == 200, one.text
    assert one.json() == {
        "id": fixed_id,
        "outcome": "published",
        "error": None,
        "tenant_id": channel.tenant_id,
    }
    twice = await gateway.client.post(f"{ITEMS}/{fixed_id}/replay", headers=gateway.admin)
    assert twice.status_code == 409
    unknown = await gateway.client.post(f"{ITEMS}/987654321/replay", headers=gateway.admin)
    assert unknown.status_code == 404
    everything = await gateway.client.post(
        f"{ITEMS}/replay", params={"tenant_id": channel.tenant_id}, headers=gateway.admin
    )
    assert everything.status_code == 200, everything.text
    outcomes = {r["id"]: (r["outcome"], r["error"]) for r in everything.json()["results"]}

    assert outcomes[resent_id] == ("duplicate", None), "Meta delivered it live meanwhile"
    assert outcomes[bad_id][0] == "still_rejected"
    assert "timestamp" in outcomes[bad_id][1]
    assert fixed_id not in outcomes
    published = events_of(await inbound.read(), INBOUND, channel.tenant_id)
    assert sorted(e.data.message_id for e in published) == sorted([resent["id"], fixed["id"]])
    [replayed] = [e for e in published if e.data.message_id == fixed["id"]]
    assert replayed.id == message_event_id(fixed["id"]), "the id consumers dedupe on"
    listed = await gateway.client.get(
        ITEMS, params={"tenant_id": channel.tenant_id}, headers=gateway.admin
    )
    by_id = {i["id"]: i for i in listed.json()["items"]}
    assert by_id[bad_id]["replayed_at"] is None
    assert by_id[bad_id]["error"] == outcomes[bad_id][1], "kept with today's error"
    assert by_id[fixed_id]["replayed_at"] is not None


async def test_replay_is_for_platform_operators_only(gateway: Any) -> None:
    assert (await gateway.client.post(f"{ITEMS}/1/replay")).status_code == 401
    assert (await gateway.client.post(f"{ITEMS}/replay")).status_code == 401
