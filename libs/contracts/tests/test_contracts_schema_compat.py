"""The committed v1 schemas only ever change compatibly, and they match the models."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bancone_contracts.compat import schema_incompatibilities
from bancone_contracts.schema_export import SCHEMAS_DIR, committed_schemas, generated_schemas

pytestmark = pytest.mark.unit

BASE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "status": {"enum": ["sent", "failed"], "type": "string"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "data": {"$ref": "#/$defs/Data"},
        "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
    },
    "required": ["id", "status", "data"],
    "$defs": {
        "Data": {
            "type": "object",
            "properties": {
                "content": {
                    "oneOf": [{"$ref": "#/$defs/Text"}, {"$ref": "#/$defs/Media"}],
                    "discriminator": {"propertyName": "kind"},
                }
            },
            "required": ["content"],
        },
        "Text": {
            "type": "object",
            "properties": {"kind": {"const": "text", "type": "string"}, "body": {"type": "string"}},
            "required": ["body"],
        },
        "Media": {
            "type": "object",
            "properties": {
                "kind": {"const": "media", "type": "string"},
                "media_id": {"type": "string"},
            },
            "required": ["media_id"],
        },
        "Item": {
            "type": "object",
            "properties": {"price": {"type": "string"}, "quantity": {"type": "integer"}},
            "required": ["price"],
        },
    },
}


def _changed(edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(BASE)
    edit(new)
    return new


def test_identical_schemas_are_compatible() -> None:
    assert schema_incompatibilities(BASE, copy.deepcopy(BASE)) == []


def test_additive_optional_fields_and_documentation_changes_are_compatible() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["extra"] = {"type": "string", "default": ""}
        s["$defs"]["Text"]["properties"]["preview"] = {"type": "boolean"}
        s["$defs"]["Item"]["properties"]["price"]["description"] = "decimal string"
        s["properties"]["id"]["examples"] = ["0b7e..."]

    assert schema_incompatibilities(BASE, _changed(edit)) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: s["properties"].pop("note"), "$.note: property was removed"),
        (
            lambda s: s["$defs"]["Text"]["properties"].pop("body"),
            "property was removed",
        ),
        (
            lambda s: s["properties"].__setitem__("id", {"type": "integer"}),
            "$.id: type changed",
        ),
        (
            lambda s: s["$defs"]["Item"]["properties"].__setitem__("price", {"type": "number"}),
            "$.items[].price: type changed",
        ),
        (
            lambda s: s["properties"]["note"].__setitem__(
                "anyOf", [{"type": "integer"}, {"type": "null"}]
            ),
            "$.note: alternative string was removed or retyped",
        ),
        (
            lambda s: (
                s["properties"].__setitem__("tenant", {"type": "string"}),
                s["required"].append("tenant"),
            ),
            "$.tenant: new property is required",
        ),
        (lambda s: s["required"].append("note"), "$.note: property became required"),
        (lambda s: s["required"].remove("status"), "$.status: property is no longer required"),
        (
            lambda s: s["properties"]["status"].__setitem__("enum", ["sent"]),
            "$.status: allowed values changed",
        ),
        (
            lambda s: s["properties"]["status"].__setitem__("enum", ["sent", "failed", "read"]),
            "$.status: allowed values changed",
        ),
        (
            lambda s: s["$defs"]["Data"]["properties"]["content"]["oneOf"].pop(),
            "alternative object(kind='media') was removed or retyped",
        ),
        (
            lambda s: s["properties"]["id"].__setitem__("format", "date-time"),
            "$.id: format changed",
        ),
    ],
)
def test_incompatible_changes_are_reported(edit: Any, expected: str) -> None:
    problems = schema_incompatibilities(BASE, _changed(edit))
    assert any(expected in p for p in problems), problems


def test_new_union_alternative_is_reported_because_old_readers_reject_it() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["$defs"]["Loc"] = {
            "type": "object",
            "properties": {"kind": {"const": "location", "type": "string"}},
        }
        s["$defs"]["Data"]["properties"]["content"]["oneOf"].append({"$ref": "#/$defs/Loc"})

    problems = schema_incompatibilities(BASE, _changed(edit))
    assert problems == [
        "$.data.content: alternative object(kind='location') was added "
        "(old consumers cannot read it)"
    ]


def test_real_event_schema_edits_are_judged_like_synthetic_ones() -> None:
    current = _parse(generated_schemas()["inbound.message.received.v1.json"])
    older = copy.deepcopy(current)
    older["$defs"]["InboundMessage"]["properties"].pop("referral")
    # adding the optional `referral` is fine; taking it away again is not
    assert schema_incompatibilities(older, current) == []
    assert schema_incompatibilities(current, older) == ["$.data.referral: property was removed"]
    retyped = copy.deepcopy(current)
    retyped["$defs"]["OrderItem"]["properties"]["item_price"] = {"type": "number"}
    assert schema_incompatibilities(current, retyped) == [
        "$.data.content<object(kind='order')>.items[].item_price: "
        "type changed from ['string'] to ['number']"
    ]


def test_committed_schemas_only_changed_compatibly() -> None:
    committed = committed_schemas()
    generated = {name: _parse(text) for name, text in generated_schemas().items()}
    assert committed, f"no committed schemas in {SCHEMAS_DIR}"
    missing = sorted(committed.keys() - generated.keys())
    assert not missing, f"committed event schemas no longer generated: {missing}"
    problems = {
        name: schema_incompatibilities(old, generated[name]) for name, old in committed.items()
    }
    assert {name: p for name, p in problems.items() if p} == {}


def test_committed_schemas_are_up_to_date() -> None:
    generated = generated_schemas()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in Path(SCHEMAS_DIR).glob("*.json")}
    stale = sorted(name for name, text in generated.items() if on_disk.get(name) != text)
    assert not stale, f"run `uv run python -m bancone_contracts schemas`; stale: {stale}"


def test_committed_asyncapi_document_is_up_to_date() -> None:
    pytest.importorskip("faststream")
    pytest.importorskip("yaml")
    from bancone_contracts.asyncapi import ASYNCAPI_PATH, build_asyncapi, render_asyncapi

    assert ASYNCAPI_PATH.read_text(encoding="utf-8") == render_asyncapi(build_asyncapi()), (
        "run `uv run python -m bancone_contracts asyncapi`"
    )


def test_asyncapi_document_describes_every_topic_with_key_and_headers() -> None:
    pytest.importorskip("faststream")
    pytest.importorskip("yaml")
    from bancone_contracts import ALL_TOPICS
    from bancone_contracts.asyncapi import build_asyncapi

    document = build_asyncapi()
    assert document["asyncapi"] == "3.0.0"
    addresses = [channel["address"] for channel in document["channels"].values()]
    assert addresses == [spec.name for spec in ALL_TOPICS]
    for message in document["components"]["messages"].values():
        assert message["headers"]["required"] == ["type", "tenant_id"]
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
    channel = document["channels"]["bancone.channel.v1"]["bindings"]["kafka"]
    assert channel["topicConfiguration"]["cleanup.policy"] == ["compact"]
    price = document["components"]["schemas"]["OrderItem"]["properties"]["item_price"]
    assert price["type"] == "string"


def _parse(text: str) -> dict[str, Any]:
    import json

    parsed: dict[str, Any] = json.loads(text)
    return parsed
