"""Status webhooks (sent → delivered → read, or failed) posted back to the gateway, signed.

Runs after the send response, in the background; a gateway that is down or refuses is
logged and counted, never raised, as Meta would simply retry later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import structlog

from bancone_cli.webhooks import StatusName, build_status_webhook, signed_body
from bancone_sandbox.settings import ChannelConfig
from bancone_sandbox.state import Counters, SentMessage, utc_now

log = structlog.get_logger(__name__)

DELIVERED_SEQUENCE: tuple[StatusName, ...] = ("sent", "delivered", "read")


async def post_statuses(
    client: httpx.AsyncClient,
    channel: ChannelConfig,
    message: SentMessage,
    sequence: Sequence[StatusName],
    *,
    interval_seconds: float,
    counters: Counters,
    error_code: int | None = None,
    error_details: str | None = None,
) -> None:
    """Post each status in order, one webhook per status, spaced by `interval_seconds`."""
    url, secret = channel.gateway_webhook_url, channel.app_secret
    if not (channel.status_webhooks and url and secret):
        return
    for status in sequence:
        if interval_seconds > 0:
            # Simulated network/device time between statuses, not a wait for our own work.
            await asyncio.sleep(interval_seconds)
        now = utc_now()
        payload = build_status_webhook(
            channel.phone_number_id,
            message.id,
            message.to,
            status,
            timestamp=str(int(now.timestamp())),
            error_code=error_code if status == "failed" else None,
            error_details=error_details if status == "failed" else None,
            display_phone_number=channel.display_phone_number,
            waba_id=channel.waba_id,
        )
        body, headers = signed_body(payload, secret)
        record: dict[str, object] = {"status": status, "at": now.isoformat()}
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            counters.status_webhooks_failed += 1
            record["gateway_status"] = None
            log.warning(
                "status_webhook.unreachable", wamid=message.id, status=status, error=str(error)
            )
        else:
            record["gateway_status"] = response.status_code
            if response.is_success:
                counters.status_webhooks_posted += 1
                log.info("status_webhook.posted", wamid=message.id, status=status)
            else:
                counters.status_webhooks_failed += 1
                log.warning(
                    "status_webhook.refused",
                    wamid=message.id,
                    status=status,
                    http_status=response.status_code,
                )
        message.statuses.append(record)
