"""Meta's webhook in: verify, normalise, dedupe, publish — 200 only once Kafka has it all."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from bancone_contracts.whatsapp import normalise, parse_webhook, phone_number_ids
from bancone_gateway import metrics
from bancone_gateway.adapters import channels as channel_store
from bancone_gateway.adapters import receipts as receipt_store
from bancone_gateway.adapters.publisher import EventPublishError
from bancone_gateway.domain import signature
from bancone_gateway.domain.channels import at_rest_aad
from bancone_gateway.domain.errors import (
    InvalidSignatureError,
    MalformedWebhookError,
    PublishUnavailableError,
    StorageUnavailableError,
)
from bancone_gateway.domain.receipts import receipts_for
from bancone_gateway.handlers.deps import GatewayDeps
from bancone_kit.logging import get_logger
from bancone_kit.messaging.tracecontext import current_carrier

log = get_logger(__name__)

SOURCE = "gateway"


@dataclass(frozen=True)
class WebhookResult:
    published: int = 0
    duplicates: int = 0
    unknown_phone_number_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Route:
    tenant_id: str
    app_secret: str


def _reject(reason: str, error: Exception) -> Exception:
    metrics.WEBHOOK_REJECTED.labels(reason=reason).inc()
    log.warning("webhook.rejected", reason=reason)
    return error


async def _routes(deps: GatewayDeps, ids: list[str]) -> dict[str, _Route]:
    """The tenant and app secret of each active channel among `ids`."""
    async with deps.sessions() as session:
        records = await channel_store.active_records(session, ids)
    return {
        r.phone_number_id: _Route(
            tenant_id=r.tenant_id,
            app_secret=deps.secrets.open(
                r.app_secret_sealed, at_rest_aad(r.phone_number_id, "app_secret")
            ),
        )
        for r in records
    }


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


async def _receive(
    raw_body: bytes, signature_header: str | None, deps: GatewayDeps
) -> WebhookResult:
    """The webhook's steps: signature shape, parse, route, verify, normalise, dedupe, publish.

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

    ids = phone_number_ids(payload)
    routes = await _routes(deps, ids)
    unknown = tuple(pnid for pnid in ids if pnid not in routes)
    for pnid in unknown:
        metrics.WEBHOOK_UNKNOWN_PHONE_NUMBER_ID.inc()
        log.warning("webhook.unknown_phone_number_id", phone_number_id=pnid)
    if not routes:
        return WebhookResult(unknown_phone_number_ids=unknown)
    if not all(
        signature.verify_signature(raw_body, signature_header, route.app_secret)
        for route in routes.values()
    ):
        raise _reject("signature_invalid", InvalidSignatureError("signature does not match"))

    try:
        events = normalise(
            payload,
            lambda pnid: routes[pnid].tenant_id if pnid in routes else None,
            source=SOURCE,
            traceparent=current_carrier().get("traceparent"),
        )
    except (ValidationError, ValueError) as exc:
        raise _reject(
            "unnormalisable", MalformedWebhookError("webhook content is invalid")
        ) from exc

    receipts = receipts_for(events)
    async with deps.sessions() as session, session.begin():
        new_keys = await receipt_store.record_new(
            session, receipts, keep_payloads=deps.keep_webhook_payloads
        )
        fresh = [r for r in receipts if r.dedupe_key in new_keys]
        try:
            await deps.publisher.publish([r.event for r in fresh])
        except EventPublishError as exc:
            log.error("webhook.publish_failed", events=len(fresh), error=str(exc))
            raise _reject(
                "publish_failed",
                PublishUnavailableError("the event broker is unavailable; retry later"),
            ) from exc

    for r in receipts:
        outcome = "published" if r.dedupe_key in new_keys else "duplicate"
        metrics.WEBHOOK_EVENTS.labels(kind=r.kind, outcome=outcome).inc()
    log.info(
        "webhook.accepted",
        published=len(fresh),
        duplicates=len(receipts) - len(fresh),
        unknown_phone_number_ids=len(unknown),
    )
    return WebhookResult(
        published=len(fresh),
        duplicates=len(receipts) - len(fresh),
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

    Every active channel's token is compared, in constant time and without stopping early.
    """
    if mode != "subscribe" or not verify_token or challenge is None:
        return None
    async with deps.sessions() as session:
        records = await channel_store.active_records(session)
    given = verify_token.encode()
    matched = False
    for record in records:
        token = deps.secrets.open(
            record.verify_token_sealed, at_rest_aad(record.phone_number_id, "verify_token")
        )
        matched |= hmac.compare_digest(token.encode(), given)
    if not matched:
        log.warning("webhook.verification_refused")
        return None
    log.info("webhook.verification_accepted")
    return challenge
