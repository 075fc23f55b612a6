"""The identity rules' refusals as RFC 9457 problems: rows of the gateway's one error table."""

from __future__ import annotations

from typing import Any

from bancone_gateway.adapters.login_throttle import LoginLockedError
from bancone_gateway.domain.identity import (
    AlreadyMemberError,
    IdentityError,
    InvalidCredentialsError,
    InvalidEmailError,
    LastOwnerError,
    LinkUnusableError,
    NotFoundError,
    RoleNotGrantableError,
    TenantChoiceRequiredError,
)
from bancone_gateway.domain.passwords import WeakPasswordError
from bancone_kit.http.errors import ErrorProblem, ErrorProblems

_BEARER = {"WWW-Authenticate": "Bearer"}


def _tenants(error: Any) -> dict[str, Any]:
    return {"tenants": error.tenants}


def _retry_after(error: Any) -> dict[str, str]:
    return {"Retry-After": str(error.retry_after)}


IDENTITY_PROBLEMS: ErrorProblems = {
    IdentityError: ErrorProblem(400, "Bad request"),
    InvalidCredentialsError: ErrorProblem(401, "Invalid credentials", headers=lambda _: _BEARER),
    InvalidEmailError: ErrorProblem(422, "Invalid email"),
    RoleNotGrantableError: ErrorProblem(403, "Role not grantable"),
    LinkUnusableError: ErrorProblem(400, "Invalid or expired link"),
    NotFoundError: ErrorProblem(404, "Not found"),
    AlreadyMemberError: ErrorProblem(409, "Already exists"),
    LastOwnerError: ErrorProblem(409, "Last owner"),
    TenantChoiceRequiredError: ErrorProblem(409, "Tenant choice required", extensions=_tenants),
    WeakPasswordError: ErrorProblem(422, "Weak password"),
    LoginLockedError: ErrorProblem(
        429, "Too many failed logins", detail=lambda _: "try again later", headers=_retry_after
    ),
}
"""Every identity error and the problem it becomes (a subclass not listed takes its base's)."""
