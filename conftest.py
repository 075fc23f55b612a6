"""Root conftest: loads Bancone's test plugin and enforces one tier marker per test."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["bancone_kit.testing.fixtures"]

TIERS = ("unit", "service", "e2e")

os.environ.setdefault("BANCONE_ENVIRONMENT", "dev")
"""Settings have no default environment (bancone_kit.settings); tests run as dev, explicitly."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test carries exactly one tier marker, so `make test` runs each tier by marker."""
    bad = [
        item.nodeid
        for item in items
        if sum(1 for tier in TIERS if item.get_closest_marker(tier)) != 1
    ]
    if bad:
        raise pytest.UsageError(
            "tests need exactly one of the markers unit/service/e2e:\n  " + "\n  ".join(bad)
        )
