"""The agent's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_agent.adapters.tables import AgentTable
from bancone_agent.bootstrap import build_app
from bancone_agent.settings import AgentSettings
from bancone_kit.testing.service_checks import shell_checks

TestAgentShell = shell_checks(AgentSettings, build_app, 8083, AgentTable.metadata)
