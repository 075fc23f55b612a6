"""Fixtures of the sandbox's tests: the app wired to a fake gateway (`support.make_harness`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tools.sandbox.tests.support import Harness, make_harness


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    client, webhook_client, gateway = await make_harness()
    async with client, webhook_client:
        yield Harness(client, gateway)


@pytest.fixture
async def sandbox(harness: Harness) -> httpx.AsyncClient:
    return harness.client
