"""The Graph API send call: a Protocol the handlers depend on, and its httpx implementation.

Every way a call can end becomes a `SendOutcome`; the implementation raises nothing for an
HTTP or transport failure, so the handler's at-most-once bookkeeping never sees an exception
it has to guess about. The bearer token is used for the one request and never logged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from bancone_kit.messaging.retry import RetryPolicy, parse_retry_after
from bancone_notifier.domain.pacing import Pacer, Priority
from bancone_notifier.domain.pacing_slots import backoff_for
from bancone_notifier.domain.sending import (
    Accepted,
    GraphError,
    NotSent,
    Rejected,
    SendOutcome,
    SendReport,
    Unknown,
    should_retry,
)

_CODE_PREFIX = re.compile(r"^\(#\d+\)\s*")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
"""Failures before a byte of the request left: sending again cannot duplicate anything."""


class GraphApi(Protocol):
    """Sends one message from a business number (`POST /{phone_number_id}/messages`)."""

    async def send_message(
        self, phone_number_id: str, access_token: str, body: Mapping[str, Any]
    ) -> SendOutcome: ...


class HttpxGraphApi:
    """`POST {base_url}/{version}/{phone_number_id}/messages` over a shared httpx client."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, version: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._version = version

    def url(self, phone_number_id: str) -> str:
        return f"{self._base}/{self._version}/{phone_number_id}/messages"

    async def send_message(
        self, phone_number_id: str, access_token: str, body: Mapping[str, Any]
    ) -> SendOutcome:
        try:
            response = await self._client.post(
                self.url(phone_number_id),
                json=dict(body),
                headers={"Authorization": f"Bearer {access_token}"},
            )
        except _NOT_SENT as error:
            return NotSent(type(error).__name__)
        except httpx.HTTPError as error:
            # Read/write timeouts, dropped connections: Meta may have taken the message.
            return Unknown(type(error).__name__)
        return outcome_of(response)


def outcome_of(response: httpx.Response) -> SendOutcome:
    """Read a Graph API answer: a wamid on success, else the error Meta described."""
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    if response.is_success:
        wamid = _wamid(payload)
        return Accepted(wamid) if wamid else Unknown(f"HTTP {response.status_code} without a wamid")
    return Rejected(graph_error(response.status_code, payload, response.headers))


def _wamid(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
        return None
    wamid = messages[0].get("id")
    return wamid if isinstance(wamid, str) and wamid else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    return parse_retry_after(headers.get("retry-after"))


def graph_error(status: int, payload: Any, headers: Mapping[str, str]) -> GraphError:
    """`{"error": {"message", "type", "code", "error_subcode", ...}}` → `GraphError`."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return GraphError(status, retry_after_seconds=_retry_after(headers))
    message = error.get("error_user_title") or error.get("message")
    title = _CODE_PREFIX.sub("", message)[:500] if isinstance(message, str) else None
    return GraphError(
        http_status=status,
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        title=title or None,
        retry_after_seconds=_retry_after(headers),
    )


class _RetryableOutcomeError(Exception):
    """An outcome worth another attempt, carried through the kit's retry helper (with Meta's
    `Retry-After`, when a refusal had one)."""

    def __init__(self, outcome: SendOutcome) -> None:
        super().__init__(repr(outcome))
        self.outcome = outcome
        self.retry_after_seconds = (
            outcome.error.retry_after_seconds if isinstance(outcome, Rejected) else None
        )


@dataclass(frozen=True)
class Paced:
    """Who a send is for and at what priority: every attempt waits for the pacer first, and a
    "too fast" answer backs the number or the pair off (`domain/pacing_slots.backoff_for`)."""

    pacer: Pacer
    phone_number_id: str
    recipient: str
    priority: Priority
    number_backoff_seconds: float = 1.0
    pair_backoff_seconds: float = 6.0

    def note(self, outcome: SendOutcome) -> None:
        if not isinstance(outcome, Rejected):
            return
        backoff = backoff_for(
            outcome.error,
            number_seconds=self.number_backoff_seconds,
            pair_seconds=self.pair_backoff_seconds,
        )
        if backoff is not None:
            recipient = self.recipient if backoff.scope == "pair" else None
            self.pacer.back_off(self.phone_number_id, recipient, backoff.seconds)


async def send_with_retries(
    send: Callable[[], Awaitable[SendOutcome]],
    policy: RetryPolicy,
    pacing: Paced | None = None,
) -> SendReport:
    """Call `send` until an outcome that is not worth retrying (`should_retry`), or the policy
    is spent; the report says how many attempts it took and whether retries ran out. With
    `pacing`, each attempt first waits for its slot, and refusals feed the pacer's back-off."""
    attempts = 0

    async def attempt() -> SendReport:
        nonlocal attempts
        attempts += 1
        ticket = None
        if pacing is not None:
            ticket = await pacing.pacer.acquire(
                pacing.phone_number_id, pacing.recipient, pacing.priority
            )
        try:
            outcome = await send()
        finally:
            if ticket is not None:  # answered, failed or cancelled: it arrived by now, if ever
                ticket.answered()
        if pacing is not None:
            pacing.note(outcome)
        if should_retry(outcome):
            raise _RetryableOutcomeError(outcome)
        return SendReport(outcome, attempts)

    try:
        return await policy.call(attempt, _RetryableOutcomeError)
    except _RetryableOutcomeError as spent:
        return SendReport(spent.outcome, attempts, exhausted=True)
