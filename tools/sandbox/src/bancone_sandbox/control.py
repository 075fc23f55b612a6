"""`/sandbox/*`: register channels, read what was sent, inject faults and delays.

Not part of Meta's API: this is how `make run`, `bancone chat` and tests drive the sandbox.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field

from bancone_sandbox.runtime import RuntimeDep
from bancone_sandbox.settings import ChannelConfig, DelayPhase
from bancone_sandbox.state import Fault

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


class FaultRequest(BaseModel):
    """Fail the next `count` sends; status 200 = accept, then post a `failed` status."""

    status: int = Field(examples=[429, 500, 503, 400, 200])
    code: int | None = Field(default=None, examples=[130429, 131000, 131047, 131026])
    count: int = Field(default=1, ge=1)
    message: str | None = None
    error_subcode: int | None = None
    phone_number_id: str | None = None

    def is_supported(self) -> bool:
        return self.status == 200 or 400 <= self.status <= 599


class DelayRequest(BaseModel):
    """Hold every send this long, before or after it is recorded (until changed)."""

    seconds: float = Field(ge=0, le=600)
    phase: DelayPhase = "after_record"


def _public(channel: ChannelConfig) -> dict[str, Any]:
    return {
        "phone_number_id": channel.phone_number_id,
        "gateway_webhook_url": channel.gateway_webhook_url,
        "status_webhooks": channel.status_webhooks,
        "display_phone_number": channel.display_phone_number,
        "waba_id": channel.waba_id,
    }


@router.post("/channels")
async def register_channel(
    channel: ChannelConfig, runtime: RuntimeDep, response: Response
) -> dict[str, Any]:
    """Create or replace a channel (idempotent: `make run` may call it on every start)."""
    created = channel.phone_number_id not in runtime.state.channels
    runtime.state.channels[channel.phone_number_id] = channel
    response.status_code = 201 if created else 200
    return {**_public(channel), "created": created}


@router.get("/channels")
async def list_channels(runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Registered channels, without their secrets."""
    return [_public(c) for c in runtime.state.channels.values()]


@router.delete("/channels/{phone_number_id}", status_code=204)
async def remove_channel(phone_number_id: str, runtime: RuntimeDep) -> None:
    runtime.state.channels.pop(phone_number_id, None)


@router.get("/messages")
async def list_messages(
    runtime: RuntimeDep,
    to: str | None = Query(default=None, description="recipient wa_id"),
    phone_number_id: str | None = None,
) -> list[dict[str, Any]]:
    """Accepted messages, oldest first, with received time, number and the body as sent."""
    wa_id = re.sub(r"\D", "", to) if to is not None else None
    return [m.as_json() for m in runtime.state.messages_for(wa_id, phone_number_id)]


@router.get("/messages/{wamid}")
async def get_message(wamid: str, runtime: RuntimeDep) -> dict[str, Any]:
    message = runtime.state.find(wamid)
    if message is None:
        raise HTTPException(status_code=404, detail=f"no message {wamid}")
    return message.as_json()


@router.delete("/messages", status_code=204)
async def clear_messages(runtime: RuntimeDep) -> None:
    """Forget sent messages and read receipts (for demos; tests use fresh recipients)."""
    runtime.state.messages.clear()
    runtime.state.reads.clear()


@router.get("/reads")
async def list_reads(runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Mark-as-read calls, oldest first."""
    return [r.as_json() for r in runtime.state.reads]


@router.post("/faults", status_code=201)
async def add_fault(fault: FaultRequest, runtime: RuntimeDep) -> dict[str, Any]:
    if not fault.is_supported():
        raise HTTPException(status_code=422, detail="status must be 200 or 4xx/5xx")
    queued = Fault.create(
        fault.status,
        fault.count,
        code=fault.code,
        message=fault.message,
        error_subcode=fault.error_subcode,
        phone_number_id=fault.phone_number_id,
    )
    runtime.state.faults.append(queued)
    return queued.as_json()


@router.get("/faults")
async def list_faults(runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [f.as_json() for f in runtime.state.faults]


@router.delete("/faults", status_code=204)
async def clear_faults(runtime: RuntimeDep) -> None:
    runtime.state.faults.clear()


@router.put("/delay")
async def set_delay(delay: DelayRequest, runtime: RuntimeDep) -> dict[str, Any]:
    runtime.state.delay_seconds = delay.seconds
    runtime.state.delay_phase = delay.phase
    return delay.model_dump()


@router.delete("/delay", status_code=204)
async def clear_delay(runtime: RuntimeDep) -> None:
    runtime.state.delay_seconds = 0.0


@router.get("/stats")
async def stats(runtime: RuntimeDep) -> dict[str, Any]:
    """Counters (attempts, accepted, rejected, faulted, in_flight, …) for retry and crash tests."""
    return dict(vars(runtime.state.counters))
