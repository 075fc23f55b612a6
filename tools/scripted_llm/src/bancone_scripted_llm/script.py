"""What the scripted server answers: rules over the last message, failures, a default.

A script is plain JSON (`PUT /script`, `--script FILE`, or a `Script` in process):

    {"rules": [
       {"role": "user", "match": "sotto i? ?(?P<max>\\d+)",
        "reply": {"tool_calls": [{"name": "search_products",
                                  "arguments": {"text": "{last_user}", "max_price": "{max}"}}]}},
       {"role": "tool", "match": "Chianti", "reply": {"content": "Ecco:\\n{tool_lines}"}}],
     "failures": [{"status": 500, "times": 2}],
     "default": {"content": "Ciao!"}}

A request is answered by the first failure with attempts left (an HTTP error, optionally
after a delay), else by the first rule whose `role` is the last message's role (or `any`),
whose `match` regex is found in that message's text, and whose `context` (if any) is found in
the first user message (the customer's, not a later correction); else by `default`. Regexes are searched case-insensitively, `.` spanning
lines. Texts and string tool arguments are templates: `{name}` is a named group of `match`,
`{last_user}` the last user message, `{tool_lines}` one line per item of the last tool
result (`name — price currency[, stock n]`, or an `answer`, or `title: description`), `{first_id}` the
first `id` in that result. A string argument that is just one placeholder resolving to
nothing is left out, so optional filters stay unset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["user", "tool", "assistant", "system", "any"]
FLAGS = re.IGNORECASE | re.DOTALL
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class ToolCallSpec(BaseModel):
    """One tool call the scripted model makes; `arguments_raw` is sent verbatim (bad JSON)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    arguments_raw: str | None = None


class UsageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)


class ReplySpec(BaseModel):
    """What the model says: a text, tool calls, or both; `usage` overrides the estimate."""

    model_config = ConfigDict(extra="forbid")

    content: str | None = None
    tool_calls: list[ToolCallSpec] = Field(default_factory=list)
    usage: UsageSpec | None = None
    finish_reason: str | None = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: str = ""
    role: Role = "any"
    context: str | None = Field(default=None, description="Regex the first user message must match")
    model: str | None = Field(default=None, description="Only for requests naming this model")
    reply: ReplySpec
    times: int | None = Field(default=None, ge=1, description="Fires at most this often")
    delay_seconds: float = Field(default=0.0, ge=0)


class Failure(BaseModel):
    """An HTTP error answered instead of a completion, `times` times (a delay may come first)."""

    model_config = ConfigDict(extra="forbid")

    status: int = Field(default=500, ge=400, le=599)
    times: int = Field(default=1, ge=1)
    match: str | None = Field(default=None, description="Only requests whose texts match")
    delay_seconds: float = Field(default=0.0, ge=0)
    retry_after_ms: int | None = Field(default=None, ge=0)
    body: dict[str, Any] | None = None


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)
    failures: list[Failure] = Field(default_factory=list)
    default: ReplySpec = Field(default_factory=lambda: ReplySpec(content="OK."))
    models: list[str] = Field(default_factory=lambda: ["scripted"])


def message_text(message: Mapping[str, Any]) -> str:
    """A message's text, whether `content` is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


def all_text(messages: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(message_text(m) for m in messages)


def last_of_role(messages: Sequence[Mapping[str, Any]], role: str) -> str:
    for message in reversed(messages):
        if message.get("role") == role:
            return message_text(message)
    return ""


def rule_match(
    rule: Rule, messages: Sequence[Mapping[str, Any]], model: str
) -> re.Match[str] | None:
    """The regex match that makes `rule` answer these messages, or None."""
    if not messages or (rule.model is not None and rule.model != model):
        return None
    last = messages[-1]
    if rule.role != "any" and last.get("role") != rule.role:
        return None
    if rule.context is not None:
        first_user = next((message_text(m) for m in messages if m.get("role") == "user"), "")
        if re.search(rule.context, first_user, FLAGS) is None:
            return None
    return re.compile(rule.match, FLAGS).search(message_text(last))


def failure_applies(failure: Failure, messages: Sequence[Mapping[str, Any]]) -> bool:
    return failure.match is None or re.search(failure.match, all_text(messages), FLAGS) is not None


class Bindings:
    """The values templates may name for one request."""

    def __init__(self, messages: Sequence[Mapping[str, Any]], match: re.Match[str] | None) -> None:
        self.groups = {k: v for k, v in (match.groupdict() if match else {}).items()}
        self.last_user = last_of_role(messages, "user")
        self._tool = _tool_result(messages)

    def value(self, name: str) -> str | None:
        if name in self.groups:
            return self.groups[name]
        if name == "last_user":
            return self.last_user
        if name == "tool_lines":
            return "\n".join(_item_lines(self._tool))
        if name == "first_id":
            return next(_ids(self._tool), None)
        return None

    def render(self, template: str) -> str:
        def sub(m: re.Match[str]) -> str:
            value = self.value(m[1])
            if value is None:
                return m[0] if m[1] not in self.groups else ""
            return value

        return _PLACEHOLDER.sub(sub, template)

    def arguments(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        for key, value in arguments.items():
            if isinstance(value, str):
                whole = _PLACEHOLDER.fullmatch(value)
                if whole and not self.value(whole[1]):
                    continue
                rendered[key] = self.render(value)
            else:
                rendered[key] = value
        return rendered


def _tool_result(messages: Sequence[Mapping[str, Any]]) -> Any:
    for message in reversed(messages):
        if message.get("role") == "tool":
            try:
                return json.loads(message_text(message))
            except ValueError:
                return None
    return None


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `value`, depth first, outer before inner."""
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _item_lines(result: Any) -> Iterator[str]:
    for item in _walk(result):
        if "name" in item and "price" in item:
            line = f"{item['name']} — {item['price']} {item.get('currency', '')}".rstrip()
            yield f"{line}, stock {item['stock']}" if "stock" in item else line
        elif isinstance(item.get("answer"), str):
            yield item["answer"]
        elif "title" in item and "description" in item:
            yield f"{item['title']}: {item['description']}"


def _ids(result: Any) -> Iterator[str]:
    for item in _walk(result):
        if isinstance(item.get("id"), str):
            yield item["id"]
