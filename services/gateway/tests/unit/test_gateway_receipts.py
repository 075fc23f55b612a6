"""From a batched webhook to receipts: one per message and per (wamid, status), stable event ids."""

from __future__ import annotations

from typing import Any

import pytest

from bancone_contracts.events import InboundMessageReceived, WhatsAppStatusUpdated
from bancone_contracts.topics import INBOUND, STATUS
from bancone_contracts.whatsapp import (
    message_event_id,
    normalise,
    parse_webhook,
    status_event_id,
)
from bancone_gateway.domain.receipts import receipts_for

pytestmark = pytest.mark.unit


def receipts(wa: Any, payload: dict[str, Any], tenants: dict[str, str]) -> list[Any]:
    events = normalise(parse_webhook(wa.encode(payload)), tenants.get, source="gateway")
    return receipts_for(events)


def test_a_batch_of_two_customers_and_a_status_gives_three_keyed_receipts(wa: Any) -> None:
    first, second = wa.text("393330000001", "Ciao"), wa.text("393330000002", "Hola")
    status = wa.status("393330000003", "read")
    payload = wa.payload(wa.value("PN1", messages=[first, second], statuses=[status]))

    got = receipts(wa, payload, {"PN1": "demo"})

    assert [r.dedupe_key for r in got] == [
        f"msg:{first['id']}",
        f"msg:{second['id']}",
        f"st:{status['id']}:read",
    ]
    assert [r.kind for r in got] == ["message", "message", "status"]
    assert [r.event.topic for r in got] == [INBOUND, INBOUND, STATUS]
    assert [r.event.key() for r in got] == [
        "demo:393330000001",
        "demo:393330000002",
        "demo:393330000003",
    ]


def test_event_ids_are_derived_from_whatsapp_ids_so_a_replay_keeps_them(wa: Any) -> None:
    message, status = wa.text("393330000001", "Ciao"), wa.status("393330000001", "sent")
    payload = wa.payload(wa.value("PN1", messages=[message], statuses=[status]))

    once, again = receipts(wa, payload, {"PN1": "demo"}), receipts(wa, payload, {"PN1": "demo"})

    assert [r.event.id for r in once] == [r.event.id for r in again]
    assert once[0].event.id == message_event_id(message["id"])
    assert once[1].event.id == status_event_id(status["id"], "sent")


def test_each_status_of_one_message_is_its_own_receipt(wa: Any) -> None:
    wamid = wa.wamid()
    statuses = [wa.status("393330000001", s, wamid=wamid) for s in ("sent", "delivered", "read")]
    got = receipts(wa, wa.payload(wa.value("PN1", statuses=statuses)), {"PN1": "demo"})
    assert [r.dedupe_key for r in got] == [f"st:{wamid}:{s}" for s in ("sent", "delivered", "read")]
    assert all(isinstance(r.event, WhatsAppStatusUpdated) for r in got)


def test_a_message_repeated_in_one_post_counts_once(wa: Any) -> None:
    message = wa.text("393330000001", "Ciao")
    got = receipts(wa, wa.payload(wa.value("PN1", messages=[message, message])), {"PN1": "demo"})
    assert len(got) == 1


def test_parts_for_unknown_numbers_are_left_out_and_others_routed_to_their_tenant(wa: Any) -> None:
    payload = wa.payload(
        wa.value("PN-KNOWN", messages=[wa.text("393330000001", "Ciao")]),
        wa.value("PN-UNKNOWN", messages=[wa.text("393330000002", "Ciao")]),
    )
    got = receipts(wa, payload, {"PN-KNOWN": "shop-a"})
    assert [r.event.tenant_id for r in got] == ["shop-a"]


def test_every_inbound_kind_becomes_an_event(wa: Any) -> None:
    reaction = wa.reaction("393330000001", wa.wamid())
    sticker = {
        "from": "393330000001",
        "id": wa.wamid(),
        "timestamp": "1732600000",
        "type": "sticker",
        "sticker": {"id": "MEDIA1", "mime_type": "image/webp", "animated": False},
    }
    unknown = {
        "from": "393330000001",
        "id": wa.wamid(),
        "timestamp": "1732600000",
        "type": "a_type_meta_adds_next_year",
    }
    got = receipts(
        wa, wa.payload(wa.value("PN1", messages=[reaction, sticker, unknown])), {"PN1": "demo"}
    )
    kinds = []
    for r in got:
        assert isinstance(r.event, InboundMessageReceived)
        kinds.append(r.event.data.content.kind)
    assert kinds == ["reaction", "media", "unsupported"]
