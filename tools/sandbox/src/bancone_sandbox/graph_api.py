"""`POST /{version}/{phone_number_id}/messages`, answering as Meta's Cloud API does."""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import time
from typing import Any

import structlog
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse

from bancone_cli.webhooks import new_wamid
from bancone_sandbox.errors import GraphError
from bancone_sandbox.runtime import RuntimeDep, SandboxRuntime
from bancone_sandbox.send_bodies import MarkRead, SendMessage, parse_send_body
from bancone_sandbox.settings import ChannelConfig
from bancone_sandbox.state import Fault, ReadReceipt, SentMessage, utc_now
from bancone_sandbox.statuses import DELIVERED_SEQUENCE, post_statuses

log = structlog.get_logger(__name__)
router = APIRouter(tags=["graph-api"])

_VERSION = re.compile(r"^v\d{1,3}\.\d$")


def _authorised_channel(
    runtime: SandboxRuntime, version: str, phone_number_id: str, authorization: str | None
) -> ChannelConfig:
    if not _VERSION.match(version):
        raise GraphError(400, 2500, message=f"Unknown path components: /{version}")
    channel = runtime.state.channels.get(phone_number_id)
    if channel is None:
        raise GraphError(
            400,
            100,
            error_type="GraphMethodException",
            error_subcode=33,
            message=(
                f"Unsupported post request. Object with ID '{phone_number_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation"
            ),
        )
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise GraphError(401, 190, message="An active access token must be used")
    if not hmac.compare_digest(token.strip().encode(), channel.access_token.encode()):
        raise GraphError(401, 190, message="Invalid OAuth access token - Cannot parse access token")
    return channel


async def _delay(runtime: SandboxRuntime, phase: str) -> None:
    state = runtime.state
    if state.delay_seconds > 0 and state.delay_phase == phase:
        # A deliberately slow Meta, so a test can kill its client mid-send.
        await asyncio.sleep(state.delay_seconds)


def _fault_error(fault: Fault) -> GraphError:
    return GraphError(
        fault.status,
        fault.code,
        message=fault.message,
        error_subcode=fault.error_subcode,
        details=f"sandbox fault injection ({fault.remaining} left)",
    )


async def _accept(
    runtime: SandboxRuntime,
    channel: ChannelConfig,
    version: str,
    send: SendMessage,
    payload: dict[str, Any],
    background: BackgroundTasks,
) -> dict[str, Any]:
    state = runtime.state
    await _delay(runtime, "before_record")
    state.rules.check(
        phone_number_id=channel.phone_number_id,
        waba_id=channel.waba_id,
        to=send.wa_id,
        message_type=send.type,
        template=(send.template.name, send.template.language.code) if send.template else None,
        now=utc_now(),
        clock=time.monotonic(),
    )
    fault = state.take_fault(channel.phone_number_id)
    if fault is not None and fault.status != 200:
        state.counters.faulted += 1
        log.info("send.faulted", phone_number_id=channel.phone_number_id, code=fault.code)
        raise _fault_error(fault)
    message = SentMessage(
        id=new_wamid(),
        phone_number_id=channel.phone_number_id,
        to=send.wa_id,
        input=send.to,
        type=send.type,
        body=payload,
        graph_version=version,
        received_at=utc_now(),
    )
    state.messages.append(message)
    state.rules.note_sent(channel.phone_number_id, send.wa_id, time.monotonic())
    state.counters.accepted += 1
    log.info("send.accepted", wamid=message.id, to=message.to, type=message.type)
    client = runtime.webhook_client()
    interval = state.status_interval_seconds
    if fault is not None:
        state.counters.faulted += 1
        background.add_task(
            post_statuses,
            client,
            channel,
            message,
            ("failed",),
            interval_seconds=interval,
            counters=state.counters,
            error_code=fault.code,
            error_details=fault.message,
        )
    else:
        background.add_task(
            post_statuses,
            client,
            channel,
            message,
            DELIVERED_SEQUENCE,
            interval_seconds=interval,
            counters=state.counters,
        )
    await _delay(runtime, "after_record")
    sent: dict[str, Any] = {"id": message.id}
    if send.type == "template":
        sent["message_status"] = "accepted"
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": send.to, "wa_id": send.wa_id}],
        "messages": [sent],
    }


def _mark_read(runtime: SandboxRuntime, channel: ChannelConfig, read: MarkRead) -> dict[str, Any]:
    runtime.state.reads.append(
        ReadReceipt(
            phone_number_id=channel.phone_number_id,
            message_id=read.message_id,
            typing_indicator=read.typing_indicator is not None,
            received_at=utc_now(),
        )
    )
    runtime.state.counters.reads += 1
    return {"success": True}


@router.post("/{version}/{phone_number_id}/messages")
async def send_message(
    version: str,
    phone_number_id: str,
    request: Request,
    background: BackgroundTasks,
    runtime: RuntimeDep,
) -> JSONResponse:
    """Validate, then record and answer with a wamid — or fail the way Meta would."""
    counters = runtime.state.counters
    counters.attempts += 1
    counters.in_flight += 1
    try:
        channel = _authorised_channel(
            runtime, version, phone_number_id, request.headers.get("authorization")
        )
        raw = await request.body()
        try:
            payload = json.loads(raw)
        except ValueError as error:
            raise GraphError(400, 100, details="The request body is not valid JSON") from error
        parsed = parse_send_body(payload)
        if isinstance(parsed, MarkRead):
            return JSONResponse(_mark_read(runtime, channel, parsed))
        answer = await _accept(runtime, channel, version, parsed, payload, background)
        return JSONResponse(answer, background=background)
    except GraphError:
        counters.rejected += 1
        raise
    finally:
        counters.in_flight -= 1
