"""Signed customer links: a service mints one for a tenant's resource; anyone holding it opens
that resource (an invoice PDF) until it expires, and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bancone_gateway import metrics
from bancone_gateway.adapters.catalog_invoices import CatalogInvoices, InvoiceFile
from bancone_gateway.adapters.link_signer import LinkSigner
from bancone_gateway.domain.links import (
    LinkGrant,
    LinkNotFoundError,
    LinkTargetUnavailableError,
    grant,
)
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger

log = get_logger(__name__)

LINK_PATH = "/l/"


@dataclass(frozen=True)
class LinkDeps:
    signer: LinkSigner
    invoices: CatalogInvoices
    base_url: str
    """Where customers reach the gateway (the public origin)."""
    ttl: timedelta
    clock: Callable[[], datetime] = utcnow


@dataclass(frozen=True, slots=True)
class MintedLink:
    url: str
    expires_at: datetime


async def mint_link(tenant_id: str, kind: str, resource_id: str, deps: LinkDeps) -> MintedLink:
    """A link to the tenant's resource, valid for the configured TTL (whole seconds)."""
    expires_at = (deps.clock() + deps.ttl).replace(microsecond=0)
    link = grant(tenant_id, kind, resource_id, expires_at)
    url = deps.base_url.rstrip("/") + LINK_PATH + deps.signer.sign(link)
    metrics.LINKS.labels(kind=link.kind, outcome="minted").inc()
    log.info("link.minted", tenant_id=tenant_id, kind=kind, resource_id=resource_id)
    return MintedLink(url, expires_at)


async def open_invoice_link(token: str, deps: LinkDeps) -> InvoiceFile:
    """The invoice a valid link names; `LinkNotFoundError` for any refusal."""
    try:
        link: LinkGrant = deps.signer.open(token)
        invoice = await deps.invoices.invoice(link.tenant_id, link.resource_id)
    except LinkNotFoundError as exc:
        metrics.LINKS.labels(kind="invoice", outcome="refused").inc()
        log.info("link.refused", reason=str(exc))  # the reason stays in the log, not the answer
        raise
    except LinkTargetUnavailableError:
        metrics.LINKS.labels(kind="invoice", outcome="unavailable").inc()
        raise
    metrics.LINKS.labels(kind=link.kind, outcome="opened").inc()
    log.info("link.opened", tenant_id=link.tenant_id, kind=link.kind, resource_id=link.resource_id)
    return invoice
