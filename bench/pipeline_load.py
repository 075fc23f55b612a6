"""The sustained-pipeline run of `bench/webhook_load.py`: customer texts posted open loop by
vegeta at a fixed rate (each from a new customer), then every reply counted and timed in the
sandbox.

vegeta keeps the schedule (its achieved rate is reported) and records when each request left
and what came back; replies are read once at the end from the sandbox (`received_at`, same
machine clock), so watching does not load the platform while it works.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.harness import RunEnv, say
from bench.questions import QUESTIONS
from bench.vegeta import Hit, Result, attack, hits, results_path, write_text_targets


@dataclass
class PipelineResult:
    rate: float
    seconds: float
    report: Result | None = None
    customers: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    replies: dict[str, list[datetime]] = field(default_factory=dict)
    drained_after: float = 0.0

    def sent_at(self, hit: Hit) -> datetime:
        return datetime.fromtimestamp(hit.sent_ns / 1e9, UTC)

    def latencies(self) -> list[float]:
        out = []
        for hit in self.hits:
            times = self.replies.get(self.customers[hit.seq])
            if times:
                out.append((min(times) - self.sent_at(hit)).total_seconds())
        return out


async def sustained(
    vegeta: str,
    client: httpx.AsyncClient,
    env: RunEnv,
    work: Path,
    prefix: str,
    rate: int,
    seconds: float,
    wait: float,
) -> PipelineResult:
    """Post `rate` texts/s for `seconds`, then wait (up to `wait` s) for every reply."""
    result = PipelineResult(rate, seconds)
    before = await _accepted(client, env)
    result.customers = [f"{prefix}{i:05d}" for i in range(int(rate * seconds))]
    targets = write_text_targets(
        work / "pipeline.json",
        f"{env.gateway_url}/webhooks/whatsapp",
        env.phone_number_id,
        env.app_secret,
        result.customers,
        list(QUESTIONS),
    )
    result.report = await attack(vegeta, targets, rate, seconds, work)
    result.hits = await hits(vegeta, results_path(work, targets, rate))
    sent_done = time.perf_counter()
    expected = {result.customers[h.seq] for h in result.hits if h.code == 200}
    while time.perf_counter() - sent_done < wait:  # the cheap counter, not the list
        await asyncio.sleep(1.0)
        if await _accepted(client, env) - before >= len(expected):
            break
    await asyncio.sleep(3.0)  # a duplicate reply would land just after the first
    result.replies = await _replies(client, env, expected)
    result.drained_after = time.perf_counter() - sent_done
    say(f"pipeline: {len(result.replies)}/{len(expected)} customers answered")
    return result


async def _accepted(client: httpx.AsyncClient, env: RunEnv) -> int:
    stats = (await client.get(f"{env.sandbox_url}/sandbox/stats")).json()
    return int(stats.get("accepted", 0))


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
