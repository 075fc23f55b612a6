"""Operator login at the gateway for the CLI and `make run`: email and password in, a short-lived
access token out (the catalog and the other services verify it with the gateway's JWKS)."""

from __future__ import annotations

from typing import Any

import httpx

LOGIN_PATH = "/v1/auth/login"
DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080"


class LoginError(RuntimeError):
    """The gateway refused the login or could not be reached."""


def _body(email: str, password: str, tenant_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"email": email, "password": password}
    if tenant_id:
        body["tenant_id"] = tenant_id
    return body


def _token(response: httpx.Response, email: str) -> str:
    if response.status_code != 200:
        raise LoginError(f"the gateway refused the login of {email}: HTTP {response.status_code}")
    token = response.json().get("access_token")
    if not isinstance(token, str) or not token:
        raise LoginError("the gateway's login answer carries no access token")
    return token


def log_in(
    client: httpx.Client, gateway_url: str, email: str, password: str, tenant_id: str | None = None
) -> str:
    """The access token of the operator `email` (in `tenant_id`, when they have several)."""
    url = gateway_url.rstrip("/") + LOGIN_PATH
    try:
        response = client.post(url, json=_body(email, password, tenant_id))
    except httpx.HTTPError as error:
        raise LoginError(f"gateway unreachable at {gateway_url}: {error}") from error
    return _token(response, email)


async def log_in_async(
    client: httpx.AsyncClient,
    gateway_url: str,
    email: str,
    password: str,
    tenant_id: str | None = None,
) -> str:
    """`log_in` for asyncio callers (`make run`'s seed, the e2e fixtures, the benches)."""
    url = gateway_url.rstrip("/") + LOGIN_PATH
    try:
        response = await client.post(url, json=_body(email, password, tenant_id))
    except httpx.HTTPError as error:
        raise LoginError(f"gateway unreachable at {gateway_url}: {error}") from error
    return _token(response, email)
