"""Changing the assistant's configuration through the API: validation that names the failing
field, optimistic concurrency on the version, the write-only LLM key, and the diff of two
versions. Pure: documents in, documents or plain exceptions out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from bancone_agent.domain.config import AgentConfig


@dataclass(frozen=True)
class FieldError:
    field: str
    """Dotted path from the request body (`config.opening_hours.days.1`)."""
    message: str


class InvalidConfigError(ValueError):
    """A configuration that is not valid; each failing field named."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class StaleVersionError(Exception):
    """The change was made on a version that is no longer the latest."""

    def __init__(self, base_version: int, latest: int) -> None:
        super().__init__(f"based on version {base_version}, but the latest is {latest}")
        self.base_version = base_version
        self.latest = latest


class VersionNotFoundError(LookupError):
    """No such configuration version in this tenant."""


PREFIX = "config"
API_KEY_SET = "api_key_set"


def _unknown(model: type[BaseModel], data: Mapping[str, Any], path: str) -> list[FieldError]:
    found: list[FieldError] = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        where = f"{path}.{key}"
        if field is None:
            found.append(FieldError(where, "unknown field"))
            continue
        nested = field.annotation
        if (
            isinstance(value, Mapping)
            and isinstance(nested, type)
            and issubclass(nested, BaseModel)
        ):
            found.extend(_unknown(nested, value, where))
    return found


def validated(document: Mapping[str, Any]) -> AgentConfig:
    """The configuration `document` describes (version 0), or `InvalidConfigError` naming
    every unknown or invalid field."""
    body = {k: v for k, v in document.items() if k != "version"}
    errors = _unknown(AgentConfig, body, PREFIX)
    try:
        config = AgentConfig.model_validate({**body, "version": 0})
    except ValidationError as error:
        for detail in error.errors():
            where = ".".join(str(part) for part in (PREFIX, *detail["loc"]))
            errors.append(FieldError(where, detail["msg"]))
        raise InvalidConfigError(errors) from error
    if errors:
        raise InvalidConfigError(errors)
    return config


def with_write_only_key(incoming: Mapping[str, Any], current_key: str | None) -> dict[str, Any]:
    """The incoming document with the LLM key resolved: absent or null keeps the current
    key, an empty string removes it, any other string replaces it; `api_key_set` (what
    reads show instead of the key) is dropped."""
    document = dict(incoming)
    llm = dict(document.get("llm") or {})
    llm.pop(API_KEY_SET, None)
    given = llm.get("api_key")
    if given is None:
        llm["api_key"] = current_key
    elif given == "":
        llm["api_key"] = None
    document["llm"] = llm
    return document


def public(config: AgentConfig) -> dict[str, Any]:
    """A configuration as reads show it: never the LLM key, only whether one is set."""
    document = config.model_dump(mode="json", exclude={"version"})
    document["llm"].pop("api_key", None)
    document["llm"][API_KEY_SET] = config.llm.api_key is not None
    return document


def check_base(base_version: int, latest: int) -> None:
    if base_version != latest:
        raise StaleVersionError(base_version, latest)


def changes(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(field, from, to) of every leaf that differs between two public documents."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}.{key}" if path else str(key)
            found.extend(changes(old.get(key), new.get(key), where))
        return found
    return [] if old == new else [(path, old, new)]
