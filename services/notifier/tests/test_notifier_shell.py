"""The notifier's shell, checked as every service's: settings, liveness, Alembic history."""

from __future__ import annotations

from bancone_kit.testing.service_checks import shell_checks
from bancone_notifier.adapters.tables import NotifierTable
from bancone_notifier.bootstrap import build_app
from bancone_notifier.settings import NotifierSettings

TestNotifierShell = shell_checks(NotifierSettings, build_app, 8084, NotifierTable.metadata)
