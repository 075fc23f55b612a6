"""`GET /usage/daily` on real PostgreSQL: one entry per day, zeros included, conversations
split into auto-answered and handed off, turns, tokens and cost from the run log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.agent.tests.support.console import console, operator

pytestmark = pytest.mark.service

TENANT = "enoteca"
HELP = "voglio parlare con una persona"


async def test_daily_series_counts_conversations_answered_and_handed_off(
    postgres_url: str,
) -> None:
    async with console(postgres_url) as c:
        await c.customer_says(TENANT, "393330000101", HELP)
        await c.customer_says(TENANT, "393330000102", "Avete un Chianti?")
        await c.customer_says(TENANT, "393330000103", "Ciao")
        await c.customer_says(TENANT, "393330000103", HELP)
        await c.customer_says("altro", "393330000104", "Ciao")
        today = datetime.now(UTC).date()
        yesterday = today - timedelta(days=1)
        viewer = operator(TENANT, "viewer")
        series = await c.http.get(
            f"/v1/tenants/{TENANT}/usage/daily",
            params={"from": yesterday.isoformat(), "to": today.isoformat()},
            headers=viewer,
        )
        backwards = await c.http.get(
            f"/v1/tenants/{TENANT}/usage/daily",
            params={"from": today.isoformat(), "to": yesterday.isoformat()},
            headers=viewer,
        )
    assert series.status_code == 200, series.text
    before, now = series.json()["items"]
    assert before["date"] == yesterday.isoformat()
    assert (before["conversations"], before["turns"]) == (0, 0)
    assert now["date"] == today.isoformat()
    assert (now["conversations"], now["auto_answered"], now["handed_off"]) == (3, 1, 2)
    assert now["turns"] == 4, "another shop's turn is not counted"
    assert backwards.status_code == 422
