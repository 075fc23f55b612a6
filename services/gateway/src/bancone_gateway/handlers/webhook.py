"""Meta's webhook in: verify, normalise, dedupe, publish — 200 only once Kafka has it all.

Each message and status is normalised on its own: the good ones are published, each bad one
is stored in `webhook_rejected_items` (raw, with the reason) and counted, and Meta still gets
200 — answering 4xx/5xx for one bad item would make Meta resend, and lose, the whole batch.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from bancone_contracts.whatsapp import (
    account_waba_ids,
    normalise_webhook,
    parse_webhook,
    phone_number_ids,
)
from bancone_gateway import metrics
from bancone_gateway.adapters import channels as channel_store
from bancone_gateway.adapters.publisher import EventPublishError
from bancone_gateway.adapters.tables import ChannelRecord
from bancone_gateway.adapters.webhook_writer import (
    WriterBusyError,
    WriterStoppedError,
    WriterTimeoutError,
)
from bancone_gateway.domain import signature
from bancone_gateway.domain.channels import SecretField, at_rest_aad
from bancone_gateway.domain.errors import (
    InvalidSignatureError,
    MalformedWebhookError,
    PublishUnavailableError,
    StorageUnavailableError,
    WebhookOverloadedError,
)
from bancone_gateway.domain.receipts import receipts_for
from bancone_gateway.domain.route_cache import RouteCache
from bancone_gateway.domain.webhook_limits import MAX_LOGGED_UNKNOWN_IDS, over_limit
from bancone_gateway.handlers.deps import GatewayDeps, Route
from bancone_kit.crypto import SecretBoxError
from bancone_kit.logging import get_logger
from bancone_kit.messaging.tracecontext import current_carrier

log = get_logger(__name__)

SOURCE = "gateway"


@dataclass(frozen=True)
class WebhookResult:
    published: int = 0
    duplicates: int = 0
    rejected: int = 0
    unknown_phone_number_ids: tuple[str, ...] = ()


QUIET_REJECTIONS = frozenset({"overloaded", "slow_batch"})
"""Refusals counted but not logged per request: under overload they come by the thousand a
second, and a line each cost CPU the gateway was short of (the counter has them all)."""


def _reject(reason: str, error: Exception) -> Exception:
    metrics.WEBHOOK_REJECTED.labels(reason=reason).inc()
    if reason not in QUIET_REJECTIONS:
        log.warning("webhook.rejected", reason=reason)
    return error


def _open_secret(deps: GatewayDeps, record: ChannelRecord, field: SecretField) -> str | None:
    """A channel's secret, or None when it cannot be opened (a key missing from the keyring):
    that channel is then treated as unknown, and other tenants' webhooks go on."""
    sealed = record.app_secret_sealed if field == "app_secret" else record.verify_token_sealed
    try:
        return deps.secrets.open(sealed, at_rest_aad(record.phone_number_id, field))
    except SecretBoxError:
        metrics.WEBHOOK_CHANNEL_UNREADABLE.inc()
        log.error("webhook.channel_unreadable", phone_number_id=record.phone_number_id, field=field)
        return None


async def routes_for(deps: GatewayDeps, ids: list[str]) -> dict[str, Route]:
    """The tenant and app secret of each active, readable channel among `ids` (from the
    route memo when fresh, else from the channel table)."""
    return await _memoised(deps.routes, deps.route_lookups, ids, lambda m: _read_routes(deps, m))


async def waba_routes_for(deps: GatewayDeps, waba_ids: list[str]) -> dict[str, Route]:
    """Template and account notices name only the business account: the tenant and app
    secret of its readable channels (one route per WABA; its channels share one Meta app)."""
    return await _memoised(
        deps.waba_routes, deps.route_lookups, waba_ids, lambda m: _read_waba_routes(deps, m)
    )


async def _memoised(
    cache: RouteCache[Route],
    lookups: asyncio.Lock,
    keys: list[str],
    read: Callable[[list[str]], Awaitable[dict[str, Route | None]]],
) -> dict[str, Route]:
    """Fresh memo entries, the rest read from the table — by one request at a time when the
    memo is on: when entries expire under load, hundreds of webhooks in flight would each
    open a session at once (on SQLite each a write transaction), exhaust the pool and wait
    on the lock; instead one reads, the others find its answer in the memo."""
    known, missing = cache.known(keys, time.monotonic())
    if not missing:
        return {key: route for key, route in known.items() if route is not None}
    if not cache.enabled:
        known.update(await read(missing))
    else:
        async with lookups:
            now = time.monotonic()
            meanwhile, missing = cache.known(missing, now)
            known.update(meanwhile)
            if missing:
                generation = cache.generation
                looked_up = await read(missing)
                for key, route in looked_up.items():
                    cache.remember(key, route, now, generation)
                known.update(looked_up)
    return {key: route for key, route in known.items() if route is not None}


async def _read_routes(deps: GatewayDeps, ids: list[str]) -> dict[str, Route | None]:
    async with deps.sessions() as session:
        records = await channel_store.active_records(session, ids)
    found: dict[str, Route | None] = dict.fromkeys(ids)
    for record in records:
        secret = _open_secret(deps, record, "app_secret")
        if secret is not None:
            found[record.phone_number_id] = Route(record.tenant_id, secret)
    return found


async def _read_waba_routes(deps: GatewayDeps, waba_ids: list[str]) -> dict[str, Route | None]:
    async with deps.sessions() as session:
        records = await channel_store.active_records_of_wabas(session, waba_ids)
    found: dict[str, Route | None] = dict.fromkeys(waba_ids)
    for record in sorted(records, key=lambda r: r.phone_number_id):
        if record.waba_id is None or found.get(record.waba_id) is not None:
            continue
        secret = _open_secret(deps, record, "app_secret")
        if secret is not None:
            found[record.waba_id] = Route(record.tenant_id, secret)
    return found


async def receive_webhook(
    raw_body: bytes, signature_header: str | None, deps: GatewayDeps
) -> WebhookResult:
    """Publish every new message and status of a webhook; raise a problem otherwise.

    A database that does not answer is a 503 like Kafka's absence: Meta will retry.
    """
    try:
        return await _receive(raw_body, signature_header, deps)
    except (DBAPIError, OSError) as exc:
        log.error("webhook.storage_unavailable", error=type(exc).__name__)
        raise _reject("storage_unavailable", StorageUnavailableError("retry later")) from exc


def _log_unknown(unknown: tuple[str, ...]) -> None:
    """One line per request however many unknown numbers it names (the counter counts each)."""
    if not unknown:
        return
    metrics.WEBHOOK_UNKNOWN_PHONE_NUMBER_ID.inc(len(unknown))
    log.warning(
        "webhook.unknown_phone_number_id",
        phone_number_ids=list(unknown[:MAX_LOGGED_UNKNOWN_IDS]),
        count=len(unknown),
    )


async def _receive(
    raw_body: bytes, signature_header: str | None, deps: GatewayDeps
) -> WebhookResult:
    """The webhook's steps: signature shape, parse, cap, route, verify, normalise, dedupe,
    publish.

    The signature must hold for the app secret of every channel the body names, so one
    tenant's secret cannot vouch for events routed to another. Parts for numbers without an
    active channel are dropped (Meta gets 200 and stops retrying them).
    """
    if not signature.is_well_formed(signature_header):
        raise _reject(
            "signature_missing",
            InvalidSignatureError("missing or malformed X-Hub-Signature-256"),
        )
    try:
        payload = parse_webhook(raw_body)
    except ValidationError as exc:
        raise _reject("malformed", MalformedWebhookError(_describe(exc))) from exc

    ids, wabas = phone_number_ids(payload), account_waba_ids(payload)
    too_much = over_limit(len(payload.entry), len(ids) + len(wabas), deps.webhook_limits)
    if too_much is not None:
        raise _reject("too_many_parts", MalformedWebhookError(f"the webhook has {too_much}"))
    routes = await routes_for(deps, ids) if ids else {}
    waba_routes = await waba_routes_for(deps, wabas) if wabas else {}
    unknown = tuple(pnid for pnid in ids if pnid not in routes)
    _log_unknown(unknown)
    if not routes and not waba_routes:
        return WebhookResult(unknown_phone_number_ids=unknown)
    if not all(
        signature.verify_signature(raw_body, signature_header, route.app_secret)
        for route in [*routes.values(), *waba_routes.values()]
    ):
        raise _reject("signature_invalid", InvalidSignatureError("signature does not match"))

    batch = normalise_webhook(
        payload,
        lambda pnid: routes[pnid].tenant_id if pnid in routes else None,
        source=SOURCE,
        traceparent=current_carrier().get("traceparent"),
        waba_tenant=lambda waba: waba_routes[waba].tenant_id if waba in waba_routes else None,
    )
    receipts = receipts_for(batch.events)
    try:
        new_keys = await deps.writer.write(receipts, batch.rejected)
    except (WriterBusyError, WriterStoppedError) as exc:
        raise _reject("overloaded", WebhookOverloadedError("busy; retry later")) from exc
    except WriterTimeoutError as exc:
        raise _reject("slow_batch", WebhookOverloadedError("busy; retry later")) from exc
    except EventPublishError as exc:
        log.error("webhook.publish_failed", events=len(receipts), error=str(exc))
        raise _reject(
            "publish_failed",
            PublishUnavailableError("the event broker is unavailable; retry later"),
        ) from exc
    fresh = [r for r in receipts if r.dedupe_key in new_keys]

    for r in receipts:
        outcome = "published" if r.dedupe_key in new_keys else "duplicate"
        metrics.WEBHOOK_EVENTS.labels(kind=r.kind, outcome=outcome).inc()
    for item in batch.rejected:
        metrics.WEBHOOK_ITEMS_REJECTED.labels(field=item.field, kind=item.kind).inc()
        log.warning(
            "webhook.item_rejected",
            tenant_id=item.tenant_id,
            phone_number_id=item.phone_number_id,
            kind=item.kind,
            error=item.error,
        )
    log.info(
        "webhook.accepted",
        published=len(fresh),
        duplicates=len(receipts) - len(fresh),
        rejected=len(batch.rejected),
        unknown_phone_number_ids=len(unknown),
    )
    return WebhookResult(
        published=len(fresh),
        duplicates=len(receipts) - len(fresh),
        rejected=len(batch.rejected),
        unknown_phone_number_ids=unknown,
    )


def _describe(error: ValidationError) -> str:
    if any(e.get("type") == "json_invalid" for e in error.errors()):
        return "the body is not valid JSON"
    return "the body is not a WhatsApp webhook"


async def verify_subscription(
    mode: str | None, verify_token: str | None, challenge: str | None, deps: GatewayDeps
) -> str | None:
    """The challenge to echo when Meta's handshake names a registered verify token, else None.

    Channels are found by the token's digest, so only they (and channels registered before
    the digest existed) are opened and compared, in constant time; one whose sealed token
    cannot be opened is skipped, not fatal.
    """
    if mode != "subscribe" or not verify_token or challenge is None:
        return None
    async with deps.sessions() as session:
        records = await channel_store.records_by_verify_token(session, verify_token)
    given = verify_token.encode()
    matched = False
    for record in records:
        token = _open_secret(deps, record, "verify_token")
        if token is not None:
            matched |= hmac.compare_digest(token.encode(), given)
    if not matched:
        log.warning("webhook.verification_refused")
        return None
    log.info("webhook.verification_accepted")
    return challenge
