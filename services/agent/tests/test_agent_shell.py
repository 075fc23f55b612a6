"""The agent's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_agent.adapters.tables import AgentTable
from bancone_agent.bootstrap import build_app
from bancone_agent.settings import AgentSettings
from bancone_kit.testing.service_checks import ServiceShellChecks


class TestAgentShell(ServiceShellChecks):
    settings_class = AgentSettings
    app_factory = staticmethod(build_app)
    default_port = 8083
    tables = frozenset({"customers", "conversations", "messages"})
    models = AgentTable.metadata
