"""The agent's HTTP app: the operators' routes, split by concern (`conversations`, `feed`,
`assistant_config`, `onboarding`, `usage`), and the one table turning the agent's domain
errors into RFC 9457 problems; health and readiness come from the kit's app factory.

Every route carries one of the kit's role guards (`bancone_kit.http.auth`): reads need a
viewer of the path's tenant, conversation actions an agent, configuration and the run log an
admin; the tenant is the path's and scopes every query.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.types import Lifespan

from bancone_agent.adapters.inbox import BadCursorError
from bancone_agent.domain.config_changes import (
    InvalidConfigError,
    StaleVersionError,
    VersionNotFoundError,
)
from bancone_agent.domain.onboarding import OnboardingNotFoundError, OnboardingStateError
from bancone_agent.domain.operators import (
    ConversationNotFoundError,
    ConversationResolvedError,
    ConversationTakenError,
    EmptyTextError,
    TemplateNeededError,
)
from bancone_agent.domain.usage import BadRangeError
from bancone_agent.entrypoints import (
    assistant_config,
    conversations,
    dead_letters,
    feed,
    onboarding,
    usage,
)
from bancone_agent.entrypoints.dead_letters import DEAD_LETTER_PROBLEMS
from bancone_agent.settings import AgentSettings
from bancone_kit.http.app import create_app
from bancone_kit.http.auth import install_token_verifier
from bancone_kit.http.errors import ErrorProblem, ErrorProblems
from bancone_kit.http.health import ReadinessCheck

PUBLIC_PATHS: frozenset[str] = frozenset()
"""Routes that answer without a token besides the kit's probes and docs: none."""

PROBLEM_BASE = "https://bancone.dev/problems/"


def problem_type(slug: str) -> str:
    return PROBLEM_BASE + slug


AGENT_PROBLEMS: ErrorProblems = {
    ConversationNotFoundError: ErrorProblem(
        404, "Conversation not found", problem_type("conversation-not-found")
    ),
    ConversationTakenError: ErrorProblem(
        409,
        "Conversation taken",
        problem_type("conversation-taken"),
        extensions=lambda error: {"holder": error.holder},
    ),
    ConversationResolvedError: ErrorProblem(
        409, "Conversation resolved", problem_type("conversation-resolved")
    ),
    TemplateNeededError: ErrorProblem(
        409,
        "Template needed",
        problem_type("template-needed"),
        extensions=lambda error: {
            "last_inbound_at": error.last_inbound_at.isoformat() if error.last_inbound_at else None
        },
    ),
    EmptyTextError: ErrorProblem(422, "Invalid text", problem_type("invalid-text")),
    BadCursorError: ErrorProblem(422, "Invalid cursor", problem_type("invalid-cursor")),
    **DEAD_LETTER_PROBLEMS,
    BadRangeError: ErrorProblem(422, "Invalid date range", problem_type("invalid-range")),
    InvalidConfigError: ErrorProblem(
        422,
        "Invalid configuration",
        problem_type("invalid-config"),
        detail=lambda error: f"{len(error.errors)} invalid field(s); nothing was stored",
        extensions=lambda error: {
            "errors": [{"field": e.field, "message": e.message} for e in error.errors]
        },
    ),
    StaleVersionError: ErrorProblem(
        409,
        "Stale version",
        problem_type("stale-version"),
        extensions=lambda error: {"latest_version": error.latest},
    ),
    OnboardingNotFoundError: ErrorProblem(
        404, "Setup session not found", problem_type("onboarding-not-found")
    ),
    OnboardingStateError: ErrorProblem(
        409, "Setup session state", problem_type("onboarding-state")
    ),
    VersionNotFoundError: ErrorProblem(
        404, "Configuration version not found", problem_type("version-not-found")
    ),
}
"""Every agent error and the problem it becomes (the problem's `type` ends with the slug
the console switches on)."""


def build_http_app(
    settings: AgentSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app("Bancone agent", settings, readiness_checks, lifespan, errors=AGENT_PROBLEMS)
    install_token_verifier(app, settings, "agent")
    app.include_router(conversations.router)
    app.include_router(feed.router)
    app.include_router(assistant_config.router)
    app.include_router(onboarding.router)
    app.include_router(usage.router)
    app.include_router(dead_letters.tenant_router)
    app.include_router(dead_letters.platform_router)
    return app
