"""Operators, roles and the one-time links and refresh tokens that let them in: pure rules.

The role ladder is the same as the token verifier's (`bancone_kit.auth.claims.ROLES`; a unit
test keeps them equal): the domain stays free of the kit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final, Literal

Role = Literal["viewer", "agent", "admin", "owner"]
ROLES: Final[tuple[Role, ...]] = ("viewer", "agent", "admin", "owner")
_RANK: Final = {role: rank for rank, role in enumerate(ROLES)}

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class IdentityError(Exception):
    """Base of the identity rules' refusals; entrypoints map each to a problem."""


class InvalidEmailError(IdentityError):
    pass


class RoleNotGrantableError(IdentityError):
    """An operator tried to give a role above what they may grant."""


class LinkUnusableError(IdentityError):
    """An invite or reset link that is unknown, used, expired or tampered (one answer)."""


def normalise_email(email: str) -> str:
    """Lower-cased and stripped, so `Ada@Shop.it` and `ada@shop.it` are one account."""
    value = email.strip().lower()
    if len(value) > 320 or not _EMAIL.fullmatch(value):
        raise InvalidEmailError("not an email address")
    return value


def outranks_or_equals(held: str, needed: Role) -> bool:
    rank = _RANK.get(held)  # type: ignore[call-overload]
    return rank is not None and rank >= _RANK[needed]


def check_can_grant(granter_role: str | None, role: Role, *, platform: bool = False) -> None:
    """Owners grant any role; admins grant up to admin; the platform grants only owner (the
    tenant's first owner); nobody else grants anything."""
    if platform:
        allowed = role == "owner"
    elif granter_role == "owner":
        allowed = True
    elif granter_role == "admin":
        allowed = role != "owner"
    else:
        allowed = False
    if not allowed:
        raise RoleNotGrantableError(f"cannot grant the {role} role")


def check_link_usable(expires_at: datetime, used_at: datetime | None, now: datetime) -> None:
    """An invite or reset link works once and only before it expires."""
    if used_at is not None or now >= expires_at:
        raise LinkUnusableError("the link is invalid, expired or already used")


class RefreshVerdict(Enum):
    """What presenting a refresh token means."""

    ROTATE = "rotate"
    """Valid and unused: issue the next token of the family and mark this one used."""
    REUSED = "reused"
    """Already used (or its family revoked): stolen or replayed; revoke the whole family."""
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class RefreshState:
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


def judge_refresh(state: RefreshState, now: datetime) -> RefreshVerdict:
    if state.used_at is not None or state.revoked_at is not None:
        return RefreshVerdict.REUSED
    if now >= state.expires_at:
        return RefreshVerdict.EXPIRED
    return RefreshVerdict.ROTATE


class InvalidCredentialsError(IdentityError):
    """Wrong email or password, unknown or revoked refresh token (one answer for all)."""


class TenantChoiceRequiredError(IdentityError):
    """The operator belongs to several tenants and named none."""

    def __init__(self, tenants: list[str]) -> None:
        super().__init__("choose a tenant: the operator belongs to several")
        self.tenants = tenants


class NotFoundError(IdentityError):
    """A tenant or operator that does not exist or is not visible to the caller."""


class AlreadyMemberError(IdentityError):
    pass


class LastOwnerError(IdentityError):
    """A change that would leave the tenant without an owner (nobody could manage it)."""


def check_keeps_an_owner(owners: int, current_role: str, new_role: str | None) -> None:
    """Refuse demoting or removing (`new_role` None) the tenant's only owner."""
    if current_role == "owner" and new_role != "owner" and owners <= 1:
        raise LastOwnerError("the tenant must keep at least one owner")
