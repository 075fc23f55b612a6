"""The notifier's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_kit.testing.service_checks import ServiceShellChecks
from bancone_notifier.adapters.tables import NotifierTable
from bancone_notifier.bootstrap import build_app
from bancone_notifier.settings import NotifierSettings


class TestNotifierShell(ServiceShellChecks):
    settings_class = NotifierSettings
    app_factory = staticmethod(build_app)
    default_port = 8084
    tables = frozenset({"channels", "outbound_messages", "delivery_statuses"})
    models = NotifierTable.metadata
