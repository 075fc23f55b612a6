"""Dead letters and WhatsApp account notices over HTTP.

Per tenant: viewers list (`GET .../dead-letters`, `GET .../whatsapp-notices`), admins replay
one or all (`POST .../dead-letters/{id}/replay`, `POST .../dead-letters/replay`). Platform
operators list every tenant's dead letters (`GET /v1/platform/dead-letters`). Another
tenant's id is not found (404), like an unknown one; a replayed one is a conflict (409).
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from bancone_agent import dead_letter_handlers, update_handlers
from bancone_agent.adapters.tables import DeadLetterRecord, WhatsAppNoticeRecord
from bancone_agent.domain.dead_letters import (
    DeadLetterAlreadyReplayedError,
    DeadLetterNotFoundError,
    DeadLetterStatus,
    ListDeadLetters,
    ReplayDeadLetter,
    ReplayDeadLetters,
)
from bancone_agent.entrypoints.web import PREFIX, Deps, TenantId
from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_kit.http.auth import AdminRole, Platform, Viewer
from bancone_kit.http.errors import ErrorProblem, ErrorProblems
from bancone_kit.http.problems import Problem

DEAD_LETTER_PROBLEMS: ErrorProblems = {
    DeadLetterNotFoundError: ErrorProblem(404, "Dead letter not found"),
    DeadLetterAlreadyReplayedError: ErrorProblem(409, "Dead letter already replayed"),
}


Limit = Annotated[int, Query(ge=1, le=500)]
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
}

tenant_router = APIRouter(prefix=PREFIX, tags=["dead letters"], responses=_PROBLEMS)
platform_router = APIRouter(
    prefix="/v1/platform", tags=["dead letters"], dependencies=[Platform], responses=_PROBLEMS
)


class DeadLetterOut(BaseModel):
    """An event the agent gave up on: where it came from, why, and what became of it."""

    id: uuid.UUID = Field(description="The event's id (replays keep it).")
    tenant_id: str
    source_topic: str = Field(examples=["bancone.inbound.v1"])
    event_type: str | None = Field(description="None when the record did not decode.")
    error_type: str
    error: str
    attempts: int = Field(description="Handler attempts before it was dead-lettered.")
    times_dead_lettered: int
    status: DeadLetterStatus
    conversation_id: uuid.UUID | None = Field(description="The conversation it escalated.")
    first_failed_at: datetime
    last_failed_at: datetime
    replays: int
    replayed_at: datetime | None
    replayed_by: str | None
    payload: str = Field(description="The record as it was, UTF-8 (base64 if it is not).")

    @classmethod
    def of(cls, row: DeadLetterRecord) -> DeadLetterOut:
        try:
            payload = row.payload.decode()
        except UnicodeDecodeError:
            payload = base64.b64encode(row.payload).decode()
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            source_topic=row.source_topic,
            event_type=row.event_type,
            error_type=row.error_type,
            error=row.error,
            attempts=row.attempts,
            times_dead_lettered=row.times_dead_lettered,
            status=DeadLetterStatus(row.status),
            conversation_id=row.conversation_id,
            first_failed_at=row.first_failed_at,
            last_failed_at=row.last_failed_at,
            replays=row.replays,
            replayed_at=row.replayed_at,
            replayed_by=row.replayed_by,
            payload=payload,
        )


class ReplayRequest(BaseModel):
    operator_id: str = Field(default="admin", min_length=1, max_length=128)


class ReplayedAll(BaseModel):
    replayed: list[DeadLetterOut]


class NoticeOut(BaseModel):
    id: uuid.UUID
    field: str
    waba_id: str
    event: str | None
    notice: dict[str, object]
    received_at: datetime

    @classmethod
    def of(cls, row: WhatsAppNoticeRecord) -> NoticeOut:
        return cls.model_validate(row, from_attributes=True)


@tenant_router.get("/dead-letters", dependencies=[Viewer], response_model=list[DeadLetterOut])
async def list_dead_letters(
    tenant_id: TenantId,
    deps: Deps,
    status: DeadLetterStatus | None = None,
    limit: Limit = 100,
) -> list[DeadLetterOut]:
    """The tenant's dead letters, newest failure first."""
    rows = await dead_letter_handlers.list_dead_letters(
        ListDeadLetters(tenant_id, status, limit), deps
    )
    return [DeadLetterOut.of(row) for row in rows]


@tenant_router.post(
    "/dead-letters/{dead_letter_id}/replay",
    dependencies=[AdminRole],
    response_model=DeadLetterOut,
    responses={409: {"model": Problem}},
)
async def replay_dead_letter(
    tenant_id: TenantId,
    dead_letter_id: uuid.UUID,
    deps: Deps,
    body: Annotated[ReplayRequest | None, Body()] = None,
) -> DeadLetterOut:
    """Publish the dead letter again on its topic, same event id (idempotent downstream)."""
    operator = (body or ReplayRequest()).operator_id
    row = await dead_letter_handlers.replay_dead_letter(
        ReplayDeadLetter(tenant_id, dead_letter_id, operator), deps
    )
    return DeadLetterOut.of(row)


@tenant_router.post("/dead-letters/replay", dependencies=[AdminRole], response_model=ReplayedAll)
async def replay_all_dead_letters(
    tenant_id: TenantId, deps: Deps, body: Annotated[ReplayRequest | None, Body()] = None
) -> ReplayedAll:
    """Publish every dead letter of the tenant not yet replayed again, oldest first."""
    operator = (body or ReplayRequest()).operator_id
    rows = await dead_letter_handlers.replay_dead_letters(
        ReplayDeadLetters(tenant_id, operator), deps
    )
    return ReplayedAll(replayed=[DeadLetterOut.of(row) for row in rows])


@tenant_router.get("/whatsapp-notices", dependencies=[Viewer], response_model=list[NoticeOut])
async def list_notices(tenant_id: TenantId, deps: Deps, limit: Limit = 100) -> list[NoticeOut]:
    """What WhatsApp reported about the account, number and templates, newest first."""
    rows = await update_handlers.list_notices(update_handlers.ListNotices(tenant_id, limit), deps)
    return [NoticeOut.of(row) for row in rows]


@platform_router.get("/dead-letters", response_model=list[DeadLetterOut])
async def list_all_dead_letters(
    deps: Deps,
    tenant_id: Annotated[str | None, Query(pattern=TENANT_ID_PATTERN)] = None,
    status: DeadLetterStatus | None = None,
    limit: Limit = 100,
) -> list[DeadLetterOut]:
    """Every tenant's dead letters (or one tenant's), newest failure first."""
    rows = await dead_letter_handlers.list_dead_letters(
        ListDeadLetters(tenant_id, status, limit), deps
    )
    return [DeadLetterOut.of(row) for row in rows]
