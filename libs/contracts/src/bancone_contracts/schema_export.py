"""JSON Schema of every event, written to ``libs/contracts/schemas/<type>.v<version>.json``.

The schemas describe what is on the wire (pydantic's serialization mode: decimals as strings,
times as RFC 3339). ``additionalProperties: false`` is left out on purpose: readers must
ignore fields they do not know, which is what lets a producer add optional fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bancone_contracts.envelope import Envelope
from bancone_contracts.events import EVENT_CLASSES, event_type_of, event_version_of

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
"""``libs/contracts/schemas`` in the source tree (the package is installed editable)."""


def schema_filename(cls: type[Envelope[Any]]) -> str:
    """``<type>.v<version>.json`` for an event class."""
    return f"{event_type_of(cls)}.v{event_version_of(cls)}.json"


def event_schema(cls: type[Envelope[Any]]) -> dict[str, Any]:
    """The JSON Schema of one event class as published."""
    schema = open_objects(cls.model_json_schema(mode="serialization"))
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = f"urn:bancone:event:{event_type_of(cls)}:v{event_version_of(cls)}"
    schema["x-bancone-topic"] = cls.topic
    return schema


def render_schema(schema: dict[str, Any]) -> str:
    """Stable text for a schema: sorted keys, two-space indent, trailing newline."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def generated_schemas() -> dict[str, str]:
    """Filename to rendered schema, for every event class."""
    return {schema_filename(cls): render_schema(event_schema(cls)) for cls in EVENT_CLASSES}


def committed_schemas(directory: Path = SCHEMAS_DIR) -> dict[str, dict[str, Any]]:
    """Filename to parsed schema, for every schema file in ``directory``."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
    }


def write_schemas(directory: Path = SCHEMAS_DIR) -> list[Path]:
    """Write every event's schema into ``directory``; existing files are overwritten."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generated_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def open_objects(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without ``additionalProperties: false``: readers tolerate added fields."""
    opened: dict[str, Any] = _without_closed_objects(schema)
    return opened


def _without_closed_objects(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _without_closed_objects(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(node, list):
        return [_without_closed_objects(item) for item in node]
    return node
