"""The steady load: one signed text webhook per new customer, posted at a fixed rate like
Meta would, and posted again — the same bytes — when the gateway does not answer 200 (Meta
retries a webhook that failed, with back-off, for days; here for `give_up_seconds`)."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

import httpx

from bancone_cli.webhooks import build_text_webhook, new_wamid, signed_body
from bench.faults.accounting import Sent

QUESTIONS = ("Avete del Barolo?", "Cosa mi consigli per una cena di pesce?", "Do you ship?")


@dataclass
class Customer:
    """Who the load speaks as: the gateway's webhook URL and the demo channel."""

    webhook_url: str
    phone_number_id: str
    app_secret: str


@dataclass
class Posted:
    """One message being delivered: the same body until accepted or given up."""

    wa_id: str
    wamid: str
    first_at: float
    attempts: int = 0
    copies: int = 1
    accepted: bool = False
    statuses: list[int] = field(default_factory=list)

    def as_sent(self) -> Sent:
        """Attempts per copy beyond the first post count as Meta's retries."""
        return Sent(self.wa_id, self.first_at, self.attempts - self.copies + 1, self.accepted)


class Load:
    """Posts customer messages; `copies` > 1 delivers each webhook that many times (Meta's
    at-least-once delivery), each copy retried on its own."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        customer: Customer,
        prefix: str,
        *,
        give_up_seconds: float = 180.0,
    ) -> None:
        self.client = client
        self.customer = customer
        self.prefix = prefix
        self.give_up_seconds = give_up_seconds
        self._tasks: set[asyncio.Task[None]] = set()
        self._count = 0

    def new_wa_id(self) -> str:
        """A customer of its own per message (39 + 10 digits), so replies correlate by id."""
        self._count += 1
        return f"39{self.prefix}{self._count:06d}{secrets.randbelow(10)}"

    async def run(
        self,
        messages: int,
        rate: float,
        *,
        copies: int = 1,
        lead: int = 0,
        lead_posted: asyncio.Event | None = None,
        on_posted: list[Posted] | None = None,
    ) -> list[Posted]:
        """Post `messages` at `rate` a second (not waiting for answers), setting `lead_posted`
        once `lead` are out; `drain()` waits for every delivery to end."""
        posted = on_posted if on_posted is not None else []
        start = time.monotonic()
        for index in range(messages):
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            one = Posted(self.new_wa_id(), new_wamid(), time.monotonic(), copies=copies)
            posted.append(one)
            task = asyncio.create_task(self.deliver(one, copies))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if lead_posted is not None and len(posted) >= lead:
                lead_posted.set()
        return posted

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        """Stop every delivery still retrying (the run is ending)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def deliver(self, one: Posted, copies: int) -> None:
        text = QUESTIONS[len(one.wa_id) % len(QUESTIONS)]
        payload = build_text_webhook(
            self.customer.phone_number_id, one.wa_id, text, "Cliente Faults", one.wamid
        )
        body, headers = signed_body(payload, self.customer.app_secret)
        await asyncio.gather(*(self.post_until_accepted(one, body, headers) for _ in range(copies)))

    async def post_until_accepted(self, one: Posted, body: bytes, headers: dict[str, str]) -> None:
        deadline = time.monotonic() + self.give_up_seconds
        delay = 0.5
        while True:
            one.attempts += 1
            try:
                response = await self.client.post(
                    self.customer.webhook_url, content=body, headers=headers
                )
                status = response.status_code
            except httpx.TransportError:
                status = 0
            one.statuses.append(status)
            if status == 200:
                one.accepted = True
                return
            if time.monotonic() + delay > deadline:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8.0)
