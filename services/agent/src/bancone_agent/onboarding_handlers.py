"""The setup assistant's use cases: start a session, take the owner's answers, confirm the
draft. Offline it asks the fixed questions of `domain.onboarding`; when the tenant (or the
platform) has an LLM, the LLM converses and says when it knows enough (a failing LLM falls
back to the fixed questions). Only `confirm` stores anything the assistant uses: a
configuration version (`config_handlers.change_config`, stale if the configuration changed
since the session began) and the FAQs through the catalog's API, as the confirming owner."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bancone_agent.adapters.tables import OnboardingSessionRecord
from bancone_agent.config_handlers import change_config, show_config
from bancone_agent.deps import AgentDeps
from bancone_agent.domain.commands import (
    AnswerOnboarding,
    ChangeConfig,
    ConfirmOnboarding,
    ShowConfig,
    StartOnboarding,
)
from bancone_agent.domain.onboarding import (
    QUESTIONS,
    FaqResult,
    OnboardingNotFoundError,
    OnboardingStateError,
    answered,
    draft,
    language_of,
    question,
)
from bancone_kit.logging import get_logger

log = get_logger(__name__)

START = "(start)"
"""The first user turn the conversing assistant is given, so it opens the conversation."""


@dataclass(frozen=True)
class Step:
    session_id: Any
    message: str | None
    draft: dict[str, Any] | None


async def start_onboarding(command: StartOnboarding, deps: AgentDeps) -> Step:
    """Open a setup session; its first question."""
    language = language_of(command.language)
    active = await show_config(ShowConfig(command.tenant_id), deps)
    record = OnboardingSessionRecord(
        tenant_id=command.tenant_id,
        language=language,
        mode="offline",
        base_version=active.version,
        created_by=command.operator_id,
        created_at=deps.clock(),
        updated_at=deps.clock(),
    )
    message = question(0, language)
    chat = deps.setup_chat
    if chat is not None and chat.available(active.config):
        opening = await _converse(record, START, active.config, deps)
        if opening is not None:
            message = opening
    else:
        record.transcript = [{"role": "assistant", "text": message or ""}]
    async with deps.sessions() as session, session.begin():
        session.add(record)
    return Step(record.id, message, None)


async def _converse(
    record: OnboardingSessionRecord, text: str, config: Any, deps: AgentDeps
) -> str | None:
    """One LLM exchange: the assistant's next message (the draft is set when it is done);
    None when the LLM failed (the session goes on with the fixed questions)."""
    assert deps.setup_chat is not None
    transcript = [*record.transcript, {"role": "user", "text": text}]
    try:
        reply = await deps.setup_chat.reply(config, transcript, record.language)
    except Exception:
        log.exception("onboarding.llm_failed", tenant_id=record.tenant_id)
        record.mode = "offline"
        return None
    record.mode = "llm"
    if reply.answers is not None:
        record.answers = {q.key: reply.answers.get(q.key, "") for q in QUESTIONS}
        record.transcript = transcript
        return None
    record.transcript = [*transcript, {"role": "assistant", "text": reply.message or ""}]
    return reply.message


async def _session(
    session: AsyncSession, tenant_id: str, session_id: Any
) -> OnboardingSessionRecord:
    record = await session.get(OnboardingSessionRecord, (tenant_id, session_id))
    if record is None:
        raise OnboardingNotFoundError("no such setup session in this tenant")
    return record


async def answer_onboarding(command: AnswerOnboarding, deps: AgentDeps) -> Step:
    """Take the owner's answer: the next question, or (when all are in) the draft."""
    async with deps.sessions() as session:
        record = await _session(session, command.tenant_id, command.session_id)
    if record.confirmed_version is not None:
        raise OnboardingStateError("the session is confirmed already")
    active = await show_config(ShowConfig(command.tenant_id), deps)
    message: str | None = None
    if record.mode == "llm" and record.draft is None:
        message = await _converse(record, command.text, active.config, deps)
    if record.mode == "offline" and record.draft is None:
        step = answered(list(record.answers))
        record.answers = {**record.answers, QUESTIONS[step].key: command.text.strip()}
        record.transcript = [*record.transcript, {"role": "user", "text": command.text}]
        message = question(step + 1, record.language)
    if message is None and record.draft is None:
        config, faqs = draft(record.answers, active.document, record.language)
        record.draft = {"config": config, "faqs": faqs}
    record.updated_at = deps.clock()
    async with deps.sessions() as session, session.begin():
        await session.merge(record)
    return Step(record.id, message, record.draft)


async def confirm_onboarding(
    command: ConfirmOnboarding, deps: AgentDeps
) -> tuple[int, FaqResult | None]:
    """Store the draft the owner confirmed (as edited): the configuration version, then the
    FAQs. Refused before the draft exists and after a first confirmation."""
    async with deps.sessions() as session:
        record = await _session(session, command.tenant_id, command.session_id)
    if record.draft is None:
        raise OnboardingStateError("the setup is not finished: answer the questions first")
    if record.confirmed_version is not None:
        raise OnboardingStateError("the session is confirmed already")
    change = ChangeConfig(
        command.tenant_id, record.base_version, dict(command.config), command.operator_id
    )
    stored, _ = await change_config(change, deps)
    faqs: FaqResult | None = None
    if command.faqs and deps.faq_writer is not None:
        faqs = await deps.faq_writer.create(
            command.tenant_id,
            [_faq(f, record.language) for f in command.faqs],
            command.authorization,
        )
    record.confirmed_version = stored.version
    record.updated_at = deps.clock()
    async with deps.sessions() as session, session.begin():
        await session.merge(record)
    log.info("onboarding.confirmed", tenant_id=command.tenant_id, version=stored.version)
    return stored.version, faqs


def _faq(faq: Mapping[str, str], language: str) -> dict[str, str]:
    return {
        "key": faq.get("key")
        or "setup-" + hashlib.sha256(faq["question"].encode()).hexdigest()[:12],
        "question": faq["question"],
        "answer": faq["answer"],
        "language": faq.get("language") or language,
    }
