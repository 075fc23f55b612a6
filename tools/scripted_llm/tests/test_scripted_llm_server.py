"""The scripted server speaks OpenAI's chat completions well enough for the real SDK: text,
tool calls with templated arguments, failures the SDK retries, delays, and hold gates."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import openai
import pytest
from openai import AsyncOpenAI

from bancone_scripted_llm import Script, ScriptedLlm, running_scripted_llm

pytestmark = pytest.mark.unit

SCRIPT = Script.model_validate(
    {
        "rules": [
            {
                "role": "user",
                "match": r"sotto i? ?(?P<max>\d+)",
                "reply": {
                    "tool_calls": [
                        {
                            "name": "search_products",
                            "arguments": {
                                "text": "vino",
                                "max_price": "{max}",
                                "min_price": "{min}",
                            },
                        }
                    ]
                },
            },
            {"role": "tool", "match": "Chianti", "reply": {"content": "Ecco:\n{tool_lines}"}},
            {
                "role": "user",
                "match": "broken",
                "reply": {"tool_calls": [{"name": "get_product", "arguments_raw": "{not json"}]},
            },
            {"role": "user", "match": "once", "times": 1, "reply": {"content": "first"}},
        ],
        "default": {"content": "default answer"},
        "models": ["scripted", "other"],
    }
)


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLlm]:
    with running_scripted_llm(SCRIPT) as server:
        yield server


@pytest.fixture
def client(llm: ScriptedLlm) -> AsyncOpenAI:
    llm.load(SCRIPT)
    llm.forget_requests()
    return AsyncOpenAI(base_url=llm.base_url, api_key="test-key", max_retries=0, timeout=5)


async def test_a_user_rule_answers_with_a_tool_call_with_named_groups_as_arguments(
    client: AsyncOpenAI, llm: ScriptedLlm
) -> None:
    completion = await client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "Un rosso sotto i 20 euro?"}]
    )

    [choice] = completion.choices
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.function.name == "search_products"
    assert json.loads(call.function.arguments) == {"text": "vino", "max_price": "20"}
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    [received] = llm.requests()
    assert received["authorization"] == "Bearer test-key"
    assert received["answered_by"] == "rule:0"


async def test_a_tool_result_rule_renders_the_tool_lines(client: AsyncOpenAI) -> None:
    result = {
        "products": [{"id": "p1", "name": "Chianti Classico", "price": "16.90", "currency": "EUR"}]
    }
    completion = await client.chat.completions.create(
        model="scripted",
        messages=[
            {"role": "user", "content": "sotto i 20"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "search_products", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": json.dumps(result)},
        ],
    )

    assert completion.choices[0].message.content == "Ecco:\nChianti Classico — 16.90 EUR"
    assert completion.choices[0].finish_reason == "stop"


async def test_raw_arguments_are_sent_verbatim_and_times_limits_a_rule(client: AsyncOpenAI) -> None:
    broken = await client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "broken"}]
    )
    first = await client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "once"}]
    )
    second = await client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "once"}]
    )

    assert (broken.choices[0].message.tool_calls or [])[0].function.arguments == "{not json"
    assert first.choices[0].message.content == "first"
    assert second.choices[0].message.content == "default answer"


async def test_failures_are_retried_by_the_sdk_until_the_script_runs_out_of_them(
    llm: ScriptedLlm,
) -> None:
    llm.load(
        {
            "failures": [{"status": 500, "times": 2, "retry_after_ms": 1}],
            "default": {"content": "up"},
        }
    )
    llm.forget_requests()
    retrying = AsyncOpenAI(base_url=llm.base_url, api_key="k", max_retries=2, timeout=5)

    completion = await retrying.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "hi"}]
    )

    assert completion.choices[0].message.content == "up"
    assert [r["answered_by"] for r in llm.requests()] == ["failure:0", "failure:0", "default"]


async def test_429_past_the_retries_is_a_rate_limit_error(llm: ScriptedLlm) -> None:
    llm.load({"failures": [{"status": 429, "times": 5, "retry_after_ms": 1}]})
    client = AsyncOpenAI(base_url=llm.base_url, api_key="k", max_retries=1, timeout=5)

    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": "hi"}]
        )


async def test_a_delay_longer_than_the_client_timeout_is_a_timeout(llm: ScriptedLlm) -> None:
    llm.load({"failures": [{"status": 500, "delay_seconds": 30}]})
    client = AsyncOpenAI(base_url=llm.base_url, api_key="k", max_retries=0, timeout=0.3)

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": "hi"}]
        )
    assert time.monotonic() - started < 5


async def test_a_held_request_waits_until_released_while_others_pass(
    client: AsyncOpenAI, llm: ScriptedLlm
) -> None:
    llm.hold("conversation A")

    held = asyncio.create_task(
        client.chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": "conversation A"}]
        )
    )
    deadline = time.monotonic() + 5
    while await asyncio.to_thread(llm.waiting, "conversation A") < 1:
        assert time.monotonic() < deadline, "the request never reached the gate"
        await asyncio.sleep(0.01)
    other = await client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "conversation B"}]
    )
    assert not held.done()
    assert await asyncio.to_thread(llm.release, "conversation A")
    answered = await asyncio.wait_for(held, timeout=5)

    assert other.choices[0].message.content == "default answer"
    assert answered.choices[0].message.content == "default answer"


async def test_models_are_listed(client: AsyncOpenAI) -> None:
    models = await client.models.list()

    assert [m.id async for m in models] == ["scripted", "other"]
