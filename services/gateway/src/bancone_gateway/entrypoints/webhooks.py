"""`/webhooks/whatsapp`: Meta's verification handshake (GET) and its event deliveries (POST)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.requests import ClientDisconnect

from bancone_gateway import metrics
from bancone_gateway.domain.body_limit import (
    BadContentLengthError,
    BodyTooLargeError,
    check_declared_length,
    read_limited,
)
from bancone_gateway.domain.errors import (
    MalformedWebhookError,
    PayloadTooLargeError,
    VerificationRefusedError,
    WebhookAbandonedError,
    WebhookOverloadedError,
)
from bancone_gateway.domain.signature import SIGNATURE_HEADER
from bancone_gateway.entrypoints.deps import DepsDep, SettingsDep
from bancone_gateway.handlers.webhook import receive_webhook, verify_subscription
from bancone_kit.http.problems import Problem

router = APIRouter(tags=["whatsapp"])

PATH = "/webhooks/whatsapp"
MAX_CHALLENGE_LENGTH = 1024


@router.get(
    PATH,
    response_class=PlainTextResponse,
    responses={403: {"model": Problem, "description": "Wrong mode or verify token."}},
)
async def verify_webhook(
    deps: DepsDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[
        str | None, Query(alias="hub.challenge", max_length=MAX_CHALLENGE_LENGTH)
    ] = None,
) -> Response:
    """Answer the challenge as plain text when the verify token is a registered channel's."""
    answer = await verify_subscription(mode, verify_token, challenge, deps)
    if answer is None:
        raise VerificationRefusedError("verification refused")
    return PlainTextResponse(answer)


@router.post(
    PATH,
    responses={
        400: {"model": Problem},
        401: {"model": Problem},
        413: {"model": Problem},
        503: {"model": Problem},
    },
)
async def receive_webhook_route(
    request: Request, deps: DepsDep, settings: SettingsDep
) -> dict[str, Any]:
    """Accept a signed webhook: 200 only once Kafka acknowledged every new event in it.

    Items that could not be normalised are `rejected` (stored for operators), not refused.
    In the running gateway `webhook_fast_path` answers this POST before the middleware stack
    (same answers); this route documents it and serves an app built without that path.
    """
    if deps.writer.saturated:  # shed load before reading, parsing or verifying anything
        metrics.WEBHOOK_REJECTED.labels(reason="overloaded").inc()
        raise WebhookOverloadedError("busy; retry later")
    with metrics.WEBHOOK_SECONDS.time():
        raw = await _read_body(request, settings.webhook_max_body_bytes)
        result = await receive_webhook(raw, request.headers.get(SIGNATURE_HEADER), deps)
    return {
        "status": "accepted",
        "published": result.published,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
    }


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw bytes, refused past `limit` by Content-Length or while they stream in."""
    try:
        check_declared_length(request.headers.get("content-length"), limit)
        return await read_limited(request.stream(), limit)
    except BodyTooLargeError as exc:
        metrics.WEBHOOK_REJECTED.labels(reason="too_large").inc()
        raise PayloadTooLargeError(f"the body exceeds {exc.limit} bytes") from exc
    except BadContentLengthError as exc:
        raise MalformedWebhookError("invalid Content-Length") from exc
    except ClientDisconnect as exc:
        metrics.WEBHOOK_REJECTED.labels(reason="abandoned").inc()
        raise WebhookAbandonedError("the client closed the request") from exc
