"""Signed customer links (`/l/<token>`): what a link grants and why one is refused.

A link names one tenant, one kind of resource, one resource id and an expiry, signed with a key
only the gateway holds; whoever has the URL may open that one resource until it expires (a
bearer capability, like a shared document link). Every refusal looks the same from outside
(`LinkNotFoundError`), so a probe learns nothing about tenants, orders or keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast, get_args

LinkKind = Literal["invoice"]
LINK_KINDS: frozenset[str] = frozenset(get_args(LinkKind))

RESOURCE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
"""Ids a link may name: no slash, so the id cannot steer the catalog path it is put in."""

INVOICE_NUMBER = re.compile(r"[A-Za-z0-9._-]{1,40}")
"""An invoice number safe to put in a `Content-Disposition` filename."""


class LinkNotFoundError(Exception):
    """Tampered, expired, unknown key or kind, another tenant's order, no invoice: one 404."""


class LinkTargetUnavailableError(Exception):
    """The link verified but the service holding the resource did not answer (503)."""


class InvalidLinkRequestError(ValueError):
    """A mint request naming an unknown kind or a malformed resource id (422)."""


@dataclass(frozen=True, slots=True)
class LinkGrant:
    """What a verified link lets its holder open."""

    tenant_id: str
    kind: LinkKind
    resource_id: str
    expires_at: datetime


def grant(tenant_id: str, kind: str, resource_id: str, expires_at: datetime) -> LinkGrant:
    """A grant for a mint request, or `InvalidLinkRequestError`."""
    if kind not in LINK_KINDS:
        raise InvalidLinkRequestError(f"unknown link kind {kind!r}")
    if not RESOURCE_ID.fullmatch(resource_id):
        raise InvalidLinkRequestError("resource_id must match " + RESOURCE_ID.pattern)
    return LinkGrant(tenant_id, cast(LinkKind, kind), resource_id, expires_at)


def invoice_filename(number: str) -> str:
    """`invoice-<number>.pdf`, or a neutral name when the number is not header-safe."""
    return f"invoice-{number}.pdf" if INVOICE_NUMBER.fullmatch(number) else "invoice.pdf"
