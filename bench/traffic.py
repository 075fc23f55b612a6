"""Customer traffic for the benchmarks: signed text webhooks posted to the gateway as Meta
would, one after another or all at once, and the replies seen landing in the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from bancone_cli.webhooks import build_text_webhook, new_wamid, signed_body
from bench.harness import RunEnv, say


@dataclass
class Sent:
    """One customer message: when it was posted (UTC, this machine) and what came back."""

    wa_id: str
    text: str
    sent_at: datetime
    wamid: str = ""
    ack_seconds: float = 0.0
    status: int = 0
    replied_at: datetime | None = None
    reply: str = ""

    @property
    def latency(self) -> float | None:
        if self.replied_at is None:
            return None
        return (self.replied_at - self.sent_at).total_seconds()


class SandboxWatcher:
    """Sees replies land in the sandbox without hammering it: polls the cheap
    `GET /sandbox/stats` and lists `GET /sandbox/messages` only when `accepted` changed (or
    once a second). The latency comes from each message's `received_at`, so the poll interval
    does not enter the numbers; it only decides how soon the next sequential message goes."""

    def __init__(self, client: httpx.AsyncClient, env: RunEnv, interval: float = 0.05) -> None:
        self.client = client
        self.env = env
        self.interval = interval
        self.pending: dict[str, tuple[Sent, asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SandboxWatcher:
        self._task = asyncio.create_task(self._run(), name="sandbox-watcher")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def expect(self, sent: Sent) -> asyncio.Future[None]:
        """Register before posting: the future completes when a message to the customer
        received at or after `sent.sent_at` is in the sandbox."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending[sent.wa_id] = (sent, future)
        return future

    async def _run(self) -> None:
        seen = -1
        fetched = 0.0
        base = self.env.sandbox_url
        while True:
            await asyncio.sleep(self.interval)
            if not self.pending:
                continue
            try:
                stats = (await self.client.get(f"{base}/sandbox/stats")).json()
                accepted = int(stats.get("accepted", 0))
                if accepted == seen and time.monotonic() - fetched < 1.0:
                    continue
                response = await self.client.get(
                    f"{base}/sandbox/messages",
                    params={"phone_number_id": self.env.phone_number_id},
                )
                response.raise_for_status()
            except httpx.HTTPError as error:
                say(f"[yellow]sandbox poll failed: {error!r}[/]")
                continue
            seen, fetched = accepted, time.monotonic()
            self._resolve(response.json())

    def _resolve(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            entry = self.pending.get(str(message.get("to")))
            if entry is None:
                continue
            sent, future = entry
            received = datetime.fromisoformat(message["received_at"])
            if received < sent.sent_at:
                continue
            sent.replied_at = received
            body = message.get("body") or {}
            sent.reply = str((body.get("text") or {}).get("body") or body.get("type") or "")
            del self.pending[sent.wa_id]
            if not future.done():
                future.set_result(None)


async def post_text(
    client: httpx.AsyncClient, env: RunEnv, watcher: SandboxWatcher, wa_id: str, text: str
) -> tuple[Sent, asyncio.Future[None]]:
    """Post one signed customer text to the gateway's webhook, as Meta would."""
    wamid = new_wamid()
    payload = build_text_webhook(env.phone_number_id, wa_id, text, "Cliente Bench", wamid)
    body, headers = signed_body(payload, env.app_secret)
    sent = Sent(wa_id, text, datetime.now(UTC), wamid)
    replied = watcher.expect(sent)
    started = time.perf_counter()
    response = await client.post(
        f"{env.gateway_url}/webhooks/whatsapp", content=body, headers=headers
    )
    sent.ack_seconds = time.perf_counter() - started
    sent.status = response.status_code
    if response.status_code != 200:
        say(f"[red]webhook for {wa_id} answered {response.status_code}: {response.text[:200]}[/]")
    return sent, replied


async def ask_and_wait(
    client: httpx.AsyncClient,
    env: RunEnv,
    watcher: SandboxWatcher,
    wa_id: str,
    text: str,
    within: float,
) -> Sent:
    sent, replied = await post_text(client, env, watcher, wa_id, text)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(replied, within)
    return sent


async def ask_sequentially(
    client: httpx.AsyncClient,
    env: RunEnv,
    watcher: SandboxWatcher,
    questions: Sequence[tuple[str, str]],
    within: float,
) -> list[Sent]:
    """One customer after another, each waiting (up to `within` s) for its reply."""
    results = []
    for wa_id, text in questions:
        results.append(await ask_and_wait(client, env, watcher, wa_id, text, within))
    return results


async def ask_at_once(
    client: httpx.AsyncClient,
    env: RunEnv,
    watcher: SandboxWatcher,
    questions: Sequence[tuple[str, str]],
    within: float,
) -> list[Sent]:
    """Every customer's webhook posted concurrently, then every reply awaited (`within` s)."""
    posted = await asyncio.gather(
        *(post_text(client, env, watcher, wa_id, text) for wa_id, text in questions)
    )
    waits = [future for _, future in posted]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*waits), within)
    return [sent for sent, _ in posted]
