"""Signed payment callbacks, delivered with retries and recorded attempt by attempt.

Wire format (docs/payments-and-links.md): the JSON notice as the body and
`X-Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`. Every try
sends the same body (same `event_id`, so the receiver can dedupe) with a fresh timestamp.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import datetime

import httpx
import structlog

from bancone_sandbox.payments_state import CallbackAttempt, PaymentLinkRecord
from bancone_sandbox.state import utc_now

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Sandbox-Signature"


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """The header value signing `body` at `timestamp` (unix seconds)."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


async def post_once(
    client: httpx.AsyncClient, link: PaymentLinkRecord, secret: str, now: datetime
) -> CallbackAttempt:
    """One signed POST of the link's notice; the outcome is recorded on the link."""
    assert link.notice is not None
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(secret, link.notice, int(now.timestamp())),
    }
    number = len(link.attempts) + 1
    try:
        response = await client.post(link.callback_url, content=link.notice, headers=headers)
    except httpx.HTTPError as error:
        attempt = CallbackAttempt(number, now, None, type(error).__name__)
    else:
        attempt = CallbackAttempt(number, now, response.status_code)
    link.attempts.append(attempt)
    log.info(
        "payment_callback.attempt",
        link_id=link.id,
        attempt=number,
        status_code=attempt.status_code,
        error=attempt.error,
    )
    return attempt


async def retry_until_delivered(
    client: httpx.AsyncClient,
    link: PaymentLinkRecord,
    secret: str,
    *,
    attempts: int,
    backoff_seconds: float,
) -> None:
    """Further tries after a failed first one, waiting `backoff_seconds`, then twice that..."""
    delay = backoff_seconds
    while len(link.attempts) < attempts:
        if delay > 0:
            await asyncio.sleep(delay)  # the provider's backoff, not a wait for our own work
        if (await post_once(client, link, secret, utc_now())).delivered:
            return
        delay *= 2
    log.warning("payment_callback.gave_up", link_id=link.id, attempts=len(link.attempts))
