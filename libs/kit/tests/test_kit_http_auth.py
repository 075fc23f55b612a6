"""The one admin check: the configured token passes, anything else is a 401 problem."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bancone_kit.http.app import create_app
from bancone_kit.http.auth import Admin
from bancone_kit.settings import ServiceSettings

pytestmark = pytest.mark.unit


class _Settings(ServiceSettings):
    admin_token: SecretStr = SecretStr("the-declared-default")


def build(token: str) -> FastAPI:
    app = create_app("test", _Settings(service_name="test", admin_token=SecretStr(token)))

    @app.get("/admin")
    async def admin(caller: Admin) -> dict[str, str]:
        return {"subject": caller.subject}

    return app


async def get(app: FastAPI, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/admin", headers=headers)


async def test_the_configured_token_passes_as_the_admin() -> None:
    response = await get(build("s3cret-token"), {"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    assert response.json() == {"subject": "admin"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic czNjcmV0LXRva2Vu"}],
)
async def test_a_missing_or_wrong_token_is_a_401_problem_naming_the_scheme(
    headers: dict[str, str],
) -> None:
    response = await get(build("s3cret-token"), headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "a valid admin bearer token is required"


async def test_without_a_configured_token_nothing_passes() -> None:
    with pytest.warns(UserWarning, match="admin_token is empty"):
        app = build("")
    response = await get(app, {"Authorization": "Bearer "})
    assert response.status_code == 401
    response = await get(app, {"Authorization": "Bearer x"})
    assert response.status_code == 401
