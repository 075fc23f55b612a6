"""Deny by default: every route of the notifier's app is public by name or carries a kit guard,
every guarded route refuses a request without a valid token (401 problem) and another tenant's
owner (404), checked as every service's (`bancone_kit.testing.route_guards`)."""

from __future__ import annotations

from bancone_kit.testing.route_guards import route_guard_checks
from bancone_notifier.entrypoints.http import PUBLIC_PATHS, build_http_app
from bancone_notifier.settings import NotifierSettings

TestNotifierRouteGuards = route_guard_checks(
    "notifier", lambda: build_http_app(NotifierSettings(), []), PUBLIC_PATHS
)
