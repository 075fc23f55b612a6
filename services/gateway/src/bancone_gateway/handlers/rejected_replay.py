"""Replaying webhook items set aside, after a fix (a parser change, a channel registered).

Each item is wrapped back into a one-item webhook (`domain.rejected_replay`), routed by the
channels as they are now, and normalised by the code a live POST runs. If it now yields its
event, the event is published exactly like a live one — its receipt (dedupe key from the
wamid) is recorded in the transaction that publishes it, so a replay of an item Meta also
delivered again, or two replays at once, publish it once; downstream the event id (derived
from the wamid) dedupes again. The row is marked replayed. If it still fails, it stays set
aside with the new error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from bancone_contracts.whatsapp import (
    account_waba_ids,
    normalise_webhook,
    parse_webhook,
    phone_number_ids,
)
from bancone_contracts.whatsapp.rejected import describe
from bancone_gateway.adapters import receipts as receipt_store
from bancone_gateway.adapters import rejected_items as rejected_store
from bancone_gateway.adapters.publisher import EventPublishError
from bancone_gateway.domain.errors import PublishUnavailableError
from bancone_gateway.domain.receipts import receipts_for
from bancone_gateway.domain.rejected_replay import (
    RejectedItemAlreadyReplayedError,
    RejectedItemNotFoundError,
    webhook_of_item,
)
from bancone_gateway.handlers.deps import GatewayDeps
from bancone_gateway.handlers.webhook import SOURCE, routes_for, waba_routes_for
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger

log = get_logger(__name__)

ReplayOutcome = Literal["published", "duplicate", "still_rejected", "unroutable"]


@dataclass(frozen=True)
class ReplayResult:
    id: int
    outcome: ReplayOutcome
    """published: its event went out now; duplicate: already published (e.g. Meta resent
    it after the fix); still_rejected: it still fails (`error` is why); unroutable: no active
    channel serves its number now."""
    error: str | None = None
    tenant_id: str | None = None


async def replay_rejected_item(deps: GatewayDeps, item_id: int) -> ReplayResult:
    """Validate one item again and publish it if it now parses."""
    async with deps.sessions() as session:
        row = await rejected_store.get_rejected(session, item_id)
    if row is None:
        raise RejectedItemNotFoundError(item_id)
    if row.replayed_at is not None:
        raise RejectedItemAlreadyReplayedError(item_id)
    body = webhook_of_item(
        row.field, row.kind, json.loads(row.raw), row.waba_id, row.phone_number_id
    )
    try:
        payload = parse_webhook(json.dumps(body))
    except ValueError as exc:
        return await _still_rejected(deps, item_id, describe(exc))
    ids, wabas = phone_number_ids(payload), account_waba_ids(payload)
    routes = await routes_for(deps, ids) if ids else {}
    waba_routes = await waba_routes_for(deps, wabas) if wabas else {}
    batch = normalise_webhook(
        payload,
        lambda pnid: routes[pnid].tenant_id if pnid in routes else None,
        source=SOURCE,
        waba_tenant=lambda waba: waba_routes[waba].tenant_id if waba in waba_routes else None,
    )
    if batch.rejected:
        return await _still_rejected(deps, item_id, batch.rejected[0].error)
    if not batch.events:
        return ReplayResult(item_id, "unroutable", tenant_id=row.tenant_id)
    receipts = receipts_for(batch.events)
    async with deps.sessions() as session, session.begin():
        locked = await rejected_store.get_rejected(session, item_id, for_update=True)
        if locked is None or locked.replayed_at is not None:
            raise RejectedItemAlreadyReplayedError(item_id)
        new_keys = await receipt_store.record_new(
            session, receipts, keep_payloads=deps.keep_webhook_payloads
        )
        fresh = [r.event for r in receipts if r.dedupe_key in new_keys]
        try:
            await deps.publisher.publish(fresh)
        except EventPublishError as exc:
            raise PublishUnavailableError("the event broker is unavailable; retry later") from exc
        locked.replayed_at = utcnow()
        locked.replay_attempts += 1
    outcome: ReplayOutcome = "published" if fresh else "duplicate"
    tenant_id = batch.events[0].tenant_id
    log.info(
        "webhook.rejected_item_replayed", item_id=item_id, outcome=outcome, tenant_id=tenant_id
    )
    return ReplayResult(item_id, outcome, tenant_id=tenant_id)


async def _still_rejected(deps: GatewayDeps, item_id: int, error: str) -> ReplayResult:
    async with deps.sessions() as session, session.begin():
        row = await rejected_store.get_rejected(session, item_id, for_update=True)
        if row is None:
            raise RejectedItemNotFoundError(item_id)
        row.error = error
        row.replay_attempts += 1
    log.info("webhook.rejected_item_still_bad", item_id=item_id, error=error)
    return ReplayResult(item_id, "still_rejected", error=error, tenant_id=row.tenant_id)


async def replay_rejected_items(
    deps: GatewayDeps, *, tenant_id: str | None, limit: int
) -> list[ReplayResult]:
    """Replay every item not replayed yet (one tenant's, or all), oldest first."""
    async with deps.sessions() as session:
        ids = await rejected_store.pending_ids(session, tenant_id=tenant_id, limit=limit)
    results = []
    for item_id in ids:
        try:
            results.append(await replay_rejected_item(deps, item_id))
        except RejectedItemAlreadyReplayedError:
            continue  # a concurrent replay got it first
    return results
