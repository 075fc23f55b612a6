"""The identity rules' refusals as RFC 9457 problems, mapped in one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bancone_gateway.adapters.login_throttle import LoginLockedError
from bancone_gateway.domain.identity import (
    AlreadyMemberError,
    IdentityError,
    InvalidCredentialsError,
    InvalidEmailError,
    LinkUnusableError,
    NotFoundError,
    RoleNotGrantableError,
    TenantChoiceRequiredError,
)
from bancone_gateway.domain.passwords import WeakPasswordError
from bancone_kit.http.problems import problem_response

_STATUS: dict[type[IdentityError], tuple[int, str]] = {
    InvalidCredentialsError: (401, "Invalid credentials"),
    InvalidEmailError: (422, "Invalid email"),
    RoleNotGrantableError: (403, "Role not grantable"),
    LinkUnusableError: (400, "Invalid or expired link"),
    NotFoundError: (404, "Not found"),
    AlreadyMemberError: (409, "Already exists"),
    TenantChoiceRequiredError: (409, "Tenant choice required"),
}


async def _on_identity_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IdentityError)
    status, title = next(
        (value for cls, value in _STATUS.items() if isinstance(exc, cls)), (400, "Bad request")
    )
    extensions: dict[str, Any] = (
        {"tenants": exc.tenants} if isinstance(exc, TenantChoiceRequiredError) else {}
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem_response(
        status, title, str(exc), instance=request.url.path, headers=headers, **extensions
    )


async def _on_weak_password(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(422, "Weak password", str(exc), instance=request.url.path)


async def _on_locked(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LoginLockedError)
    return problem_response(
        429,
        "Too many failed logins",
        "try again later",
        instance=request.url.path,
        headers={"Retry-After": str(exc.retry_after)},
    )


def install_identity_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IdentityError, _on_identity_error)
    app.add_exception_handler(WeakPasswordError, _on_weak_password)
    app.add_exception_handler(LoginLockedError, _on_locked)
