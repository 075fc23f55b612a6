"""Webhooks built by `bancone_cli.webhooks` look, encode and sign like Meta's."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from bancone_cli.webhooks import (
    SIGNATURE_HEADER,
    InboundText,
    build_status_webhook,
    build_text_webhook,
    build_texts_webhook,
    encode,
    sign,
    signed_body,
)

pytestmark = pytest.mark.unit

SECRET = "app-secret-ü"


def test_signature_is_hmac_sha256_of_the_exact_bytes_sent() -> None:
    payload = build_text_webhook("123", "393470000001", "Vorrei un rosso sotto i 20 €")
    body, headers = signed_body(payload, SECRET)

    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert sign(body, SECRET) == f"sha256={expected}"
    assert headers["Content-Type"] == "application/json"


def test_signature_is_lowercase_hex_of_64_chars() -> None:
    value = sign(b"{}", "s")

    prefix, digest = value.split("=", 1)
    assert prefix == "sha256"
    assert len(digest) == 64
    assert digest == digest.lower()
    assert all(c in "0123456789abcdef" for c in digest)


def test_non_ascii_text_stays_escaped_as_meta_sends_it() -> None:
    text = "Perché il Gewürztraminer costa più? 🍷"
    body = encode(build_text_webhook("123", "393470000001", text))

    assert body.isascii()
    assert b"Perch\\u00e9" in body
    assert b"Gew\\u00fcrztraminer" in body
    assert b"\\ud83c\\udf77" in body
    assert (
        json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] == text
    )


def test_reserialising_the_json_breaks_the_signature() -> None:
    body = encode(build_text_webhook("123", "393470000001", "Più bollicine, per favore"))
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()

    assert sign(reserialised, SECRET) != sign(body, SECRET)


def test_forward_slashes_are_escaped_and_json_is_compact() -> None:
    body = encode({"url": "https://example.com/a", "n": 1})

    assert body == b'{"url":"https:\\/\\/example.com\\/a","n":1}'
    assert json.loads(body) == {"url": "https://example.com/a", "n": 1}


def test_text_webhook_has_meta_shape() -> None:
    payload = build_text_webhook(
        "106540352242922", "393470000001", "Ciao", name="Giulia", wamid="wamid.X"
    )

    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"]["phone_number_id"] == "106540352242922"
    assert value["contacts"] == [{"profile": {"name": "Giulia"}, "wa_id": "393470000001"}]
    [message] = value["messages"]
    assert message["from"] == "393470000001"
    assert message["id"] == "wamid.X"
    assert message["type"] == "text"
    assert message["text"] == {"body": "Ciao"}
    assert isinstance(message["timestamp"], str)
    assert message["timestamp"].isdigit()


def test_text_webhooks_get_unique_wamids() -> None:
    ids = {
        build_text_webhook("1", "2", "x")["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        for _ in range(200)
    }

    assert len(ids) == 200
    assert all(i.startswith("wamid.") and i[6:].isalnum() for i in ids)


def test_batched_webhook_carries_every_customer_once_in_contacts() -> None:
    payload = build_texts_webhook(
        "1",
        [
            InboundText(wa_id="39111", text="Ciao", name="Anna"),
            InboundText(wa_id="34222", text="Hola", name="Lucía"),
            InboundText(wa_id="39111", text="Ancora io", name="Anna"),
        ],
    )

    value = payload["entry"][0]["changes"][0]["value"]
    assert [c["wa_id"] for c in value["contacts"]] == ["39111", "34222"]
    assert [m["from"] for m in value["messages"]] == ["39111", "34222", "39111"]


@pytest.mark.parametrize("status", ["sent", "delivered"])
def test_sent_and_delivered_statuses_carry_conversation_and_pmp_pricing(status: str) -> None:
    payload = build_status_webhook("1", "wamid.A", "39111", status)  # type: ignore[arg-type]

    [item] = payload["entry"][0]["changes"][0]["value"]["statuses"]
    assert (item["id"], item["status"], item["recipient_id"]) == ("wamid.A", status, "39111")
    assert item["timestamp"].isdigit()
    assert item["conversation"]["origin"]["type"] == "service"
    assert item["pricing"]["pricing_model"] == "PMP"


def test_read_status_has_no_pricing_and_failed_status_carries_errors() -> None:
    read = build_status_webhook("1", "wamid.A", "39111", "read")
    failed = build_status_webhook("1", "wamid.A", "39111", "failed", error_code=131047)

    [read_item] = read["entry"][0]["changes"][0]["value"]["statuses"]
    [failed_item] = failed["entry"][0]["changes"][0]["value"]["statuses"]
    assert "pricing" not in read_item
    assert "conversation" not in read_item
    assert failed_item["errors"][0]["code"] == 131047
    assert failed_item["errors"][0]["error_data"]["details"]
