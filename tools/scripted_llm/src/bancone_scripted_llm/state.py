"""The server's memory: the loaded script, what fired how often, requests, hold gates.

Everything runs on the server's one event loop, so plain attributes need no locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bancone_scripted_llm.script import (
    FLAGS,
    Bindings,
    Failure,
    ReplySpec,
    Script,
    all_text,
    failure_applies,
    rule_match,
)


@dataclass
class Hold:
    """Requests whose texts match `pattern` wait here until released."""

    pattern: str
    released: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    passed: int = 0


@dataclass
class Recorded:
    body: dict[str, Any]
    authorization: str | None
    answered_by: str = ""


@dataclass
class Decision:
    """How one request is answered: a completion body or an HTTP error, after a delay."""

    delay_seconds: float = 0.0
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ScriptState:
    script: Script = field(default_factory=Script)
    fired: dict[int, int] = field(default_factory=dict)
    failures_left: list[int] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    holds: dict[str, Hold] = field(default_factory=dict)
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def load(self, script: Script) -> None:
        self.script = script
        self.fired = {}
        self.failures_left = [f.times for f in script.failures]

    # -- gates ---------------------------------------------------------------------------

    def hold(self, pattern: str) -> Hold:
        re.compile(pattern)
        return self.holds.setdefault(pattern, Hold(pattern))

    def release(self, pattern: str) -> bool:
        hold = self.holds.pop(pattern, None)
        if hold is None:
            return False
        hold.released.set()
        return True

    def release_all(self) -> None:
        for pattern in list(self.holds):
            self.release(pattern)

    async def wait_at_gates(self, text: str) -> None:
        """Park while any hold matching `text` is closed (or until the server stops)."""
        for hold in list(self.holds.values()):
            if not re.search(hold.pattern, text, FLAGS):
                continue
            hold.waiting += 1
            try:
                await _first(hold.released.wait(), self.closing.wait())
            finally:
                hold.waiting -= 1
                hold.passed += 1

    async def pause(self, seconds: float) -> None:
        """Sleep, cut short when the server stops (a 'hanging' model must not block exit)."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), timeout=seconds)

    # -- answers -------------------------------------------------------------------------

    def decide(self, body: dict[str, Any], recorded: Recorded) -> Decision:
        messages = body.get("messages") or []
        model = str(body.get("model") or self.script.models[0])
        for index, failure in enumerate(self.script.failures):
            if self.failures_left[index] > 0 and failure_applies(failure, messages):
                self.failures_left[index] -= 1
                recorded.answered_by = f"failure:{index}"
                return _failure(failure)
        for index, rule in enumerate(self.script.rules):
            if rule.times is not None and self.fired.get(index, 0) >= rule.times:
                continue
            match = rule_match(rule, messages, model)
            if match is None:
                continue
            self.fired[index] = self.fired.get(index, 0) + 1
            recorded.answered_by = f"rule:{index}"
            completion = completion_body(rule.reply, Bindings(messages, match), body, model)
            return Decision(delay_seconds=rule.delay_seconds, body=completion)
        recorded.answered_by = "default"
        return Decision(
            body=completion_body(self.script.default, Bindings(messages, None), body, model)
        )


def completion_body(
    reply: ReplySpec, bindings: Bindings, request: dict[str, Any], model: str
) -> dict[str, Any]:
    """A chat completion exactly as OpenAI shapes it (non-streaming)."""
    tool_calls = [
        {
            "id": f"call_{uuid.uuid4().hex[:24]}",
            "type": "function",
            "function": {
                "name": call.name,
                "arguments": call.arguments_raw
                if call.arguments_raw is not None
                else json.dumps(bindings.arguments(call.arguments), ensure_ascii=False),
            },
        }
        for call in reply.tool_calls
    ]
    content = bindings.render(reply.content) if reply.content is not None else None
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if reply.usage is not None:
        prompt, completion = reply.usage.prompt_tokens, reply.usage.completion_tokens
    else:
        prompt = _estimate_tokens(json.dumps(request.get("messages", [])))
        prompt += _estimate_tokens(json.dumps(request.get("tools", [])))
        completion = _estimate_tokens((content or "") + json.dumps(tool_calls))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "scripted",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": reply.finish_reason or ("tool_calls" if tool_calls else "stop"),
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _estimate_tokens(text: str) -> int:
    """Roughly four characters a token, as OpenAI's rule of thumb has it."""
    return max(1, len(text) // 4)


def _failure(failure: Failure) -> Decision:
    headers = {}
    if failure.retry_after_ms is not None:
        headers["retry-after-ms"] = str(failure.retry_after_ms)
    body = failure.body or {
        "error": {
            "message": f"scripted failure (HTTP {failure.status})",
            "type": "rate_limit_error" if failure.status == 429 else "server_error",
            "param": None,
            "code": None,
        }
    }
    return Decision(
        delay_seconds=failure.delay_seconds, status=failure.status, body=body, headers=headers
    )


async def _first(*waits: Any) -> None:
    """Return when the first of the awaitables finishes; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def texts_of(body: dict[str, Any]) -> str:
    return all_text(body.get("messages") or [])
