"""The sustained-pipeline run of `bench/webhook_load.py`: customer texts posted open loop at a
fixed rate (each from a new customer), then every reply counted and timed in the sandbox.

The sender keeps its own schedule: message i is due at start + i/rate and is posted by its own
task; how late each post left (schedule lag) is recorded, so a run shows whether the load was
really offered. Replies are read once at the end from the sandbox (its `received_at`), so
watching does not load the platform while it works.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from bancone_cli.webhooks import build_text_webhook, new_wamid, signed_body
from bench.harness import RunEnv, say
from bench.questions import QUESTIONS


@dataclass
class Posted:
    wa_id: str
    sent_at: datetime
    lag: float
    ack: float = 0.0
    status: int = 0


@dataclass
class PipelineResult:
    rate: float
    seconds: float
    posted: list[Posted] = field(default_factory=list)
    replies: dict[str, list[datetime]] = field(default_factory=dict)
    drained_after: float = 0.0

    def latencies(self) -> list[float]:
        out = []
        for post in self.posted:
            times = self.replies.get(post.wa_id)
            if times:
                out.append((min(times) - post.sent_at).total_seconds())
        return out


async def _post(client: httpx.AsyncClient, env: RunEnv, post: Posted, text: str) -> None:
    payload = build_text_webhook(
        env.phone_number_id, post.wa_id, text, "Cliente Bench", new_wamid()
    )
    body, headers = signed_body(payload, env.app_secret)
    started = time.perf_counter()
    try:
        response = await client.post(
            f"{env.gateway_url}/webhooks/whatsapp", content=body, headers=headers
        )
        post.status = response.status_code
    except httpx.HTTPError:
        post.status = 0
    post.ack = time.perf_counter() - started


async def sustained(
    client: httpx.AsyncClient, env: RunEnv, prefix: str, rate: float, seconds: float, wait: float
) -> PipelineResult:
    """Post `rate` texts/s for `seconds`, then wait (up to `wait` s) for every reply."""
    result = PipelineResult(rate, seconds)
    count = int(rate * seconds)
    tasks = []
    start = time.perf_counter()
    for index in range(count):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        post = Posted(f"{prefix}{index:05d}", datetime.now(UTC), time.perf_counter() - due)
        result.posted.append(post)
        text = QUESTIONS[index % len(QUESTIONS)]
        tasks.append(asyncio.create_task(_post(client, env, post, text)))
    await asyncio.gather(*tasks)
    sent_done = time.perf_counter()
    expected = {p.wa_id for p in result.posted if p.status == 200}
    while time.perf_counter() - sent_done < wait:
        await asyncio.sleep(1.0)
        stats = (await client.get(f"{env.sandbox_url}/sandbox/stats")).json()
        if int(stats.get("accepted", 0)) >= len(expected):
            result.replies = await _replies(client, env, expected)
            if len(result.replies) >= len(expected):
                break
    await asyncio.sleep(3.0)  # a duplicate reply would land just after the first
    result.replies = await _replies(client, env, expected)
    result.drained_after = time.perf_counter() - sent_done
    say(f"pipeline: {len(result.replies)}/{len(expected)} customers answered")
    return result


async def _replies(
    client: httpx.AsyncClient, env: RunEnv, wanted: set[str]
) -> dict[str, list[datetime]]:
    response = await client.get(
        f"{env.sandbox_url}/sandbox/messages", params={"phone_number_id": env.phone_number_id}
    )
    response.raise_for_status()
    replies: dict[str, list[datetime]] = {}
    for message in response.json():
        to = str(message.get("to"))
        if to in wanted:
            replies.setdefault(to, []).append(datetime.fromisoformat(message["received_at"]))
    return replies
