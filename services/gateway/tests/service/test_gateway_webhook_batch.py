"""One bad item never rejects a webhook batch; one unreadable channel never breaks another
tenant's webhooks; a forged body cannot make the gateway look up many channels."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from bancone_contracts.topics import INBOUND, STATUS, WHATSAPP_UPDATES
from bancone_gateway import metrics
from bancone_gateway.domain.signature import sign
from bancone_kit.db import create_engine
from services.gateway.tests.support_webhook import PATH, Channel, events_of, post, provision

pytestmark = pytest.mark.service

ITEMS = "/v1/webhook-rejected-items"


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> AsyncIterator[Any]:
    async with make_gateway() as running:
        yield running


@pytest.fixture
async def channel(gateway: Any, unique: Callable[[str], str]) -> Channel:
    return await provision(gateway, unique("shop"), unique("pn"))


def canonical(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


def bad_items(wa: Any, sender: str) -> list[dict[str, Any]]:
    """The shapes the issue names: each alone used to fail the whole POST."""
    return [
        {**wa.reaction(sender, "wamid.X"), "reaction": {"emoji": "\U0001f44d"}},
        {
            **wa.text(sender, "x"),
            "type": "location",
            "location": {"latitude": None, "longitude": 9.1},
        },
        {
            **wa.text(sender, "x"),
            "type": "order",
            "order": {
                "catalog_id": "C1",
                "product_items": [{"product_retailer_id": "S", "quantity": 1, "currency": "EUR"}],
            },
        },
        {k: v for k, v in wa.text(sender, "chi sono?").items() if k != "from"},
        {**wa.text(sender, "x"), "timestamp": "99999999999999999999999"},
    ]


async def break_secret(gateway: Any, phone_number_id: str, column: str) -> None:
    """Re-label a sealed secret with a key id the keyring does not hold (a lost key)."""
    engine = create_engine(gateway.settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    f"UPDATE channels SET {column} = 'lost-key:' || split_part({column}, ':', 2) "  # noqa: S608
                    "WHERE phone_number_id = :pnid"
                ),
                {"pnid": phone_number_id},
            )
    finally:
        await engine.dispose()


async def test_a_mixed_batch_publishes_the_good_items_keeps_the_bad_and_answers_200(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any, unique: Callable[[str], str]
) -> None:
    # two numbers of one Meta app (one app secret) in one POST, as Meta batches them
    other = await provision(
        gateway, unique("other"), unique("pn-other"), app_secret=channel.app_secret
    )
    inbound, status = await topic_window(INBOUND), await topic_window(STATUS)
    good = [wa.text("393331220001", "Ciao"), wa.text("393331220002", "Hola")]
    elsewhere = wa.text("393331220003", "Salve")
    bad = bad_items(wa, "393331220001")
    delivered = wa.status("393331220004", "delivered")
    broken_status = {**wa.status("393331220004", "read"), "timestamp": "soon"}
    payload = wa.payload(
        wa.value(channel.phone_number_id, messages=[good[0], *bad[:3]], statuses=[delivered]),
        wa.value(other.phone_number_id, messages=[elsewhere]),
        wa.value(channel.phone_number_id, messages=[*bad[3:], good[1]], statuses=[broken_status]),
    )
    body = wa.encode(payload)
    signature = sign(body, channel.app_secret)
    before = metrics.WEBHOOK_ITEMS_REJECTED.labels(field="messages", kind="message")._value.get()

    response = await post(gateway, body, signature)

    assert response.status_code == 200, response.text
    assert response.json()["published"] == 4
    assert response.json()["rejected"] == len(bad) + 1
    messages = events_of(await inbound.read(), INBOUND, channel.tenant_id)
    assert sorted(e.data.message_id for e in messages) == sorted(m["id"] for m in good)
    assert [
        e.data.message_id for e in events_of(await inbound.read(), INBOUND, other.tenant_id)
    ] == [elsewhere["id"]]
    assert [e.data.wamid for e in events_of(await status.read(), STATUS, channel.tenant_id)] == [
        delivered["id"]
    ]
    assert metrics.WEBHOOK_ITEMS_REJECTED.labels(
        field="messages", kind="message"
    )._value.get() == before + len(bad)

    listed = await gateway.client.get(
        ITEMS, params={"tenant_id": channel.tenant_id}, headers=gateway.admin
    )
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert sorted(canonical(i["raw"]) for i in items) == sorted(
        canonical(r) for r in [*bad, broken_status]
    )
    assert {i["kind"] for i in items} == {"message", "status"}
    assert all(i["tenant_id"] == channel.tenant_id and i["error"] for i in items)
    assert any("reaction.message_id" in i["error"] for i in items)

    again = await post(gateway, body, signature)
    assert again.json() == {**response.json(), "published": 0, "duplicates": 4}
    count = "SELECT count(*) FROM webhook_rejected_items WHERE tenant_id = :t"
    assert await gateway.scalar(count, t=channel.tenant_id) == len(bad) + 1, "stored once"


async def test_the_rejected_items_route_is_for_platform_operators_only(gateway: Any) -> None:
    assert (await gateway.client.get(ITEMS)).status_code == 401
    wrong = {"Authorization": "Bearer not-a-token"}
    assert (await gateway.client.get(ITEMS, headers=wrong)).status_code == 401


async def test_one_unreadable_channel_does_not_break_another_tenants_webhook(
    gateway: Any, channel: Channel, wa: Any, topic_window: Any, unique: Callable[[str], str]
) -> None:
    lost = await provision(gateway, unique("lost"), unique("pn-lost"))
    await break_secret(gateway, lost.phone_number_id, "app_secret_sealed")
    inbound = await topic_window(INBOUND)
    mine = wa.text("393331220010", "Ciao")
    body = wa.encode(wa.payload(wa.value(channel.phone_number_id, messages=[mine])))
    lost_body = wa.encode(
        wa.payload(wa.value(lost.phone_number_id, messages=[wa.text("393331220011", "x")]))
    )
    before = metrics.WEBHOOK_CHANNEL_UNREADABLE._value.get()

    lost_answer = await post(gateway, lost_body, sign(lost_body, lost.app_secret))
    response = await post(gateway, body, sign(body, channel.app_secret))

    assert lost_answer.status_code == 200
    assert lost_answer.json()["published"] == 0
    assert metrics.WEBHOOK_CHANNEL_UNREADABLE._value.get() == before + 1
    assert response.status_code == 200
    assert [
        e.data.message_id for e in events_of(await inbound.read(), INBOUND, channel.tenant_id)
    ] == [mine["id"]]


async def test_the_handshake_survives_an_unreadable_channel_with_the_same_token(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    token = unique("shared-token")
    lost = await provision(gateway, unique("lost"), unique("pn-lost"), verify_token=token)
    await provision(gateway, unique("fine"), unique("pn-fine"), verify_token=token)
    await break_secret(gateway, lost.phone_number_id, "verify_token_sealed")
    params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "c-42"}

    response = await gateway.client.get(PATH, params=params)

    assert response.status_code == 200
    assert response.text == "c-42"
    digest = "SELECT verify_token_digest FROM channels WHERE phone_number_id = :p"
    assert await gateway.scalar(digest, p=lost.phone_number_id), "tokens are found by digest"


async def test_too_many_numbers_are_refused_before_any_database_lookup(
    make_gateway: Callable[..., Any], wa: Any, closed_port: int
) -> None:
    values = [wa.value(f"PN{i}", messages=[wa.text("393331220020", "x")]) for i in range(3)]
    body = wa.encode(wa.payload(*values))
    down = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port}/gateway"
    async with make_gateway(database_url=down, webhook_max_phone_number_ids=2) as gateway:
        response = await post(gateway, body, sign(body, "any-app-secret"))
    assert response.status_code == 400, "a database lookup would have answered 503"
    assert "phone number ids" in response.json()["detail"]


async def test_too_many_entries_are_refused(make_gateway: Callable[..., Any], wa: Any) -> None:
    payload = wa.payload(wa.value("PN1"))
    payload["entry"] = payload["entry"] * 3
    body = wa.encode(payload)
    async with make_gateway(webhook_max_entries=2) as gateway:
        response = await post(gateway, body, sign(body, "any-app-secret"))
    assert response.status_code == 400
    assert "entries" in response.json()["detail"]


async def test_unknown_numbers_are_counted_each_but_logged_once(
    gateway: Any, wa: Any, unique: Callable[[str], str]
) -> None:
    values = [
        wa.value(unique(f"pn-unknown{i}"), messages=[wa.text("39333", "x")]) for i in range(3)
    ]
    body = wa.encode(wa.payload(*values))
    before = metrics.WEBHOOK_UNKNOWN_PHONE_NUMBER_ID._value.get()

    with capture_logs() as logs:
        response = await post(gateway, body, sign(body, "whatever-secret"))

    assert response.status_code == 200
    assert metrics.WEBHOOK_UNKNOWN_PHONE_NUMBER_ID._value.get() == before + 3
    logged = [e for e in logs if e["event"] == "webhook.unknown_phone_number_id"]
    assert len(logged) == 1
    assert logged[0]["count"] == 3


async def test_owner_echoes_and_template_notices_are_published_as_whatsapp_updates(
    gateway: Any, unique: Callable[[str], str], topic_window: Any
) -> None:
    waba = unique("waba")
    channel = await provision(gateway, unique("shop"), unique("pn"), waba_id=waba)
    updates = await topic_window(WHATSAPP_UPDATES)
    echo = {
        "from": "390200000000",
        "to": "393331220030",
        "id": unique("wamid.echo"),
        "timestamp": "1764151200",
        "type": "text",
        "text": {"body": "Ci penso io"},
    }
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": waba,
                    "changes": [
                        {
                            "field": "smb_message_echoes",
                            "value": {
                                "metadata": {"phone_number_id": channel.phone_number_id},
                                "message_echoes": [echo],
                            },
                        },
                        {
                            "field": "message_template_quality_update",
                            "value": {"message_template_id": 7, "new_quality_score": "RED"},
                        },
                    ],
                }
            ],
        }
    ).encode()

    response = await post(gateway, body, sign(body, channel.app_secret))
    again = await post(gateway, body, sign(body, channel.app_secret))

    assert response.status_code == 200, response.text
    assert (response.json()["published"], again.json()["duplicates"]) == (2, 2)
    events = events_of(await updates.read(), WHATSAPP_UPDATES, channel.tenant_id)
    keys = {e.data.update.kind: e.key() for e in events}
    assert keys == {
        "business_echo": f"{channel.tenant_id}:393331220030",
        "account": channel.tenant_id,
    }
