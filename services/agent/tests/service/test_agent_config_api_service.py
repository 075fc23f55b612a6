"""The assistant-configuration API on real PostgreSQL: versions, optimistic concurrency
(409 `stale-version`, also between concurrent writers), diff, rollback, validation errors
naming the field, and the write-only, sealed LLM key."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent.adapters.config_store import get_active_config
from bancone_agent.adapters.tables import AgentConfigRecord
from bancone_agent.domain.config import AgentConfig
from services.agent.tests.support.console import console, operator

pytestmark = pytest.mark.service

TENANT = "enoteca"
BASE = f"/v1/tenants/{TENANT}/assistant-config"
LLM_HOST = "llm.example.test"


def shop(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "shop_name": name,
        "business_context": "Vini toscani, spedizioni in 48 ore.",
        "opening_hours": {"timezone": "Europe/Rome", "days": {"1": [["09:00", "19:00"]]}},
        **extra,
    }


async def test_versions_diff_rollback_and_stale_changes(postgres_url: str) -> None:
    async with console(postgres_url) as c:
        admin = operator(TENANT, "admin", name="owner-1")
        start = (await c.http.get(BASE, headers=operator(TENANT, "viewer"))).json()
        assert (start["version"], start["config"]["shop_name"]) == (0, "Enoteca Prova")

        first = await c.http.put(
            BASE, json={"base_version": 0, "config": shop("Enoteca Rossi")}, headers=admin
        )
        assert first.status_code == 201, first.text
        assert (first.json()["version"], first.json()["created_by"]) == (1, "owner-1")
        second = await c.http.put(
            BASE, json={"base_version": 1, "config": shop("Enoteca Bianchi")}, headers=admin
        )
        assert second.json()["version"] == 2
        stale = await c.http.put(
            BASE, json={"base_version": 1, "config": shop("Enoteca Verdi")}, headers=admin
        )
        assert stale.status_code == 409
        assert stale.json()["type"].endswith("/stale-version")
        assert stale.json()["latest_version"] == 2
        same = await c.http.put(
            BASE, json={"base_version": 2, "config": shop("Enoteca Bianchi")}, headers=admin
        )
        assert (same.status_code, same.json()["version"]) == (200, 2), "nothing changed"

        diff = await c.http.get(f"{BASE}/diff", params={"from": 1, "to": 2}, headers=admin)
        assert diff.json()["changes"] == [
            {"field": "shop_name", "from": "Enoteca Rossi", "to": "Enoteca Bianchi"}
        ]
        back = await c.http.post(
            f"{BASE}/rollback", json={"to_version": 1, "base_version": 2}, headers=admin
        )
        assert back.status_code == 201, back.text
        assert (back.json()["version"], back.json()["config"]["shop_name"]) == (3, "Enoteca Rossi")
        late = await c.http.post(
            f"{BASE}/rollback", json={"to_version": 2, "base_version": 2}, headers=admin
        )
        assert late.status_code == 409
        versions = (await c.http.get(f"{BASE}/versions", headers=admin)).json()["items"]
        assert [v["version"] for v in versions] == [3, 2, 1]
        old = (await c.http.get(f"{BASE}/versions/2", headers=admin)).json()
        assert old["config"]["shop_name"] == "Enoteca Bianchi"
        assert (await c.http.get(f"{BASE}/versions/9", headers=admin)).status_code == 404
        agent = await c.http.put(
            BASE, json={"base_version": 3, "config": shop("X")}, headers=operator(TENANT, "agent")
        )
        assert agent.status_code == 403


async def test_concurrent_changes_on_the_same_version_one_wins(postgres_url: str) -> None:
    async with console(postgres_url, pool_size=12) as c:
        admin = operator(TENANT, "admin")
        results = await asyncio.gather(
            *(
                c.http.put(
                    BASE, json={"base_version": 0, "config": shop(f"Negozio {n}")}, headers=admin
                )
                for n in range(6)
            )
        )
        assert sorted(r.status_code for r in results) == [201] + [409] * 5
        versions = (await c.http.get(f"{BASE}/versions", headers=admin)).json()["items"]
        assert [v["version"] for v in versions] == [1]


async def test_invalid_configuration_names_each_field_and_stores_nothing(
    postgres_url: str,
) -> None:
    async with console(postgres_url) as c:
        admin = operator(TENANT, "admin")
        bad = shop("Enoteca", temperature=5, colour="red")
        bad["opening_hours"]["days"] = {"1": [["nove", "19:00"]]}
        refused = await c.http.put(BASE, json={"base_version": 0, "config": bad}, headers=admin)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        fields = {e["field"] for e in refused.json()["errors"]}
        assert {"config.temperature", "config.colour"} <= fields
        assert any(f.startswith("config.opening_hours.days.1") for f in fields), fields
        unsafe = await c.http.put(
            BASE,
            json={"base_version": 0, "config": shop("E", llm={"base_url": "http://10.0.0.8/v1"})},
            headers=admin,
        )
        assert unsafe.status_code == 422
        assert [e["field"] for e in unsafe.json()["errors"]] == ["config.llm.base_url"]
        assert (await c.http.get(f"{BASE}/versions", headers=admin)).json()["items"] == []


async def test_the_llm_key_is_write_only_and_stored_sealed(postgres_url: str) -> None:
    async with console(postgres_url, allowed_llm_hosts=(LLM_HOST,)) as c:
        admin = operator(TENANT, "admin")
        llm = {"base_url": f"https://{LLM_HOST}/v1", "model": "m1", "api_key": "sk-very-secret"}
        put = await c.http.put(
            BASE, json={"base_version": 0, "config": shop("E", llm=llm)}, headers=admin
        )
        assert put.status_code == 201, put.text
        assert "sk-very-secret" not in put.text
        assert put.json()["config"]["llm"]["api_key_set"] is True
        assert "api_key" not in put.json()["config"]["llm"]

        kept = await c.http.put(
            BASE,
            json={"base_version": 1, "config": shop("E2", llm={**llm, "api_key": None})},
            headers=admin,
        )
        assert kept.json()["config"]["llm"]["api_key_set"] is True
        async with c.deps.sessions() as session:
            active = await get_active_config(
                session, TENANT, fallback=AgentConfig(), box=c.deps.config_box
            )
            stored = (
                await session.scalars(
                    sa.select(col(AgentConfigRecord.config)).where(
                        col(AgentConfigRecord.tenant_id) == TENANT
                    )
                )
            ).all()
        assert active.llm.api_key is not None
        assert active.llm.api_key.get_secret_value() == "sk-very-secret"
        assert all("sk-very-secret" not in str(document) for document in stored)

        cleared = await c.http.put(
            BASE,
            json={"base_version": 2, "config": shop("E2", llm={**llm, "api_key": ""})},
            headers=admin,
        )
        assert cleared.json()["config"]["llm"]["api_key_set"] is False
        listed = await c.http.get(f"{BASE}/versions/1", headers=operator(TENANT, "viewer"))
        assert "sk-very-secret" not in listed.text
