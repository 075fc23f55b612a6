"""Setup-assistant routes (admins): start a session, answer its questions, confirm the
draft. Nothing the assistant uses is stored before `confirm`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, Field

from bancone_agent import onboarding_handlers as handlers
from bancone_agent.domain.commands import AnswerOnboarding, ConfirmOnboarding, StartOnboarding
from bancone_agent.entrypoints.web import PREFIX, AdminCaller, Deps, TenantId

router = APIRouter(prefix=f"{PREFIX}/onboarding", tags=["onboarding"])

SessionId = Annotated[uuid.UUID, Path(description="The setup session.")]


class StartIn(BaseModel):
    language: Literal["it", "en", "es"] = "it"


class Started(BaseModel):
    session_id: uuid.UUID
    message: str | None


class AnswerIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class FaqDraft(BaseModel):
    key: str | None = Field(default=None, max_length=100)
    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(min_length=1, max_length=4000)
    language: Literal["it", "en", "es"] | None = None


class Draft(BaseModel):
    config: dict[str, Any]
    faqs: list[FaqDraft]


class Answered(BaseModel):
    message: str | None = Field(description="The next question; null when the draft is ready.")
    draft: Draft | None


class ConfirmIn(BaseModel):
    config: dict[str, Any]
    faqs: list[FaqDraft] = Field(default_factory=list, max_length=50)


class Confirmed(BaseModel):
    version: int
    faqs_created: list[str]
    faqs_existing: list[str] = Field(description="Keys the catalog already had (unchanged).")


@router.post("", response_model=Started, status_code=201)
async def start(
    tenant_id: TenantId,
    caller: AdminCaller,
    deps: Deps,
    body: Annotated[StartIn | None, Body()] = None,
) -> Started:
    """Open a setup session; its first question."""
    language = (body or StartIn()).language
    step = await handlers.start_onboarding(
        StartOnboarding(tenant_id, caller.subject, language), deps
    )
    return Started(session_id=step.session_id, message=step.message)


@router.post("/{session_id}/answers", response_model=Answered)
async def answer(
    tenant_id: TenantId, session_id: SessionId, body: AnswerIn, _: AdminCaller, deps: Deps
) -> Answered:
    step = await handlers.answer_onboarding(
        AnswerOnboarding(tenant_id, session_id, body.text), deps
    )
    found = Draft.model_validate(step.draft) if step.draft is not None else None
    return Answered(message=step.message, draft=found)


@router.post("/{session_id}/confirm", response_model=Confirmed, status_code=201)
async def confirm(
    tenant_id: TenantId,
    session_id: SessionId,
    body: ConfirmIn,
    caller: AdminCaller,
    deps: Deps,
    request: Request,
) -> Confirmed:
    """Store the configuration (a new version) and the FAQs (in the catalog, as the caller)."""
    command = ConfirmOnboarding(
        tenant_id,
        session_id,
        body.config,
        [f.model_dump(exclude_none=True) for f in body.faqs],
        caller.subject,
        request.headers.get("authorization", ""),
    )
    version, faqs = await handlers.confirm_onboarding(command, deps)
    return Confirmed(
        version=version,
        faqs_created=faqs.created if faqs else [],
        faqs_existing=faqs.existing if faqs else [],
    )
