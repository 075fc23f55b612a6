"""The console's customer use cases: the customer list and one customer (consent, tags,
interests, the 24-hour window, the ledger), an opt-in or opt-out an operator records, tags,
and the tenant's consent keywords. Routes: `entrypoints/customers_api.py`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_notifier.adapters import consent_store, customer_store
from bancone_notifier.adapters.customer_store import CustomerRow
from bancone_notifier.adapters.repository import aware
from bancone_notifier.consent_handlers import (
    RecordOptIn,
    SetConsentKeywords,
    record_opt_in,
    set_consent_keywords,
)
from bancone_notifier.domain.consent import ConsentKeyword
from bancone_notifier.domain.customers import (
    ConsentLabel,
    CustomerNotFoundError,
    checked_consent_request,
    checked_tags,
    consent_label,
    decode_cursor,
    encode_cursor,
)
from bancone_notifier.domain.window import window_open

if TYPE_CHECKING:
    from bancone_notifier.handlers import NotifierDeps

log = get_logger(__name__)

_REQUEST_IDS = uuid.UUID("3c8f7d7e-2b1a-4f6e-8a53-5d0c9b2e7a14")


@dataclass(frozen=True)
class ConsentEntry:
    action: str
    source: str
    proof: str
    at: datetime


@dataclass(frozen=True)
class CustomerView:
    customer_id: str
    name: str | None
    language: str | None
    consent: ConsentLabel
    tags: tuple[str, ...]
    last_inbound_at: datetime | None
    window_open: bool
    """Open on at least one of the tenant's numbers (the newest customer message < 24 h)."""
    bought: tuple[str, ...]
    asked: tuple[str, ...]
    consent_history: tuple[ConsentEntry, ...] = ()


@dataclass(frozen=True)
class CustomerPage:
    items: list[CustomerView]
    next_cursor: str | None


@dataclass(frozen=True)
class ListCustomers:
    tenant_id: str
    consent: ConsentLabel | None = None
    tag: str | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = 50


def _view(row: CustomerRow, now: datetime, history: Sequence[ConsentEntry] = ()) -> CustomerView:
    return CustomerView(
        customer_id=row.customer_id,
        name=row.name,
        language=row.language,
        consent=consent_label(row.consent),
        tags=row.tags,
        last_inbound_at=row.last_inbound_at,
        window_open=window_open(row.last_inbound_at, now),
        bought=row.bought,
        asked=row.asked,
        consent_history=tuple(history),
    )


async def list_customers(query: ListCustomers, deps: NotifierDeps) -> CustomerPage:
    """One page of the tenant's known customers, in customer-id order."""
    after = decode_cursor(query.cursor) if query.cursor else None
    async with deps.sessions() as session:
        rows = await customer_store.customer_page(
            session,
            query.tenant_id,
            consent=query.consent,
            tag=query.tag.strip().lower() if query.tag else None,
            q=query.q.strip() if query.q else None,
            after=after,
            limit=query.limit + 1,
        )
    now = utcnow()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return CustomerPage(
        items=[_view(row, now) for row in rows],
        next_cursor=encode_cursor(rows[-1].customer_id) if more and rows else None,
    )


async def get_customer(tenant_id: str, customer_id: str, deps: NotifierDeps) -> CustomerView:
    """The customer with their consent ledger, oldest entry first."""
    async with deps.sessions() as session:
        row = await customer_store.customer(session, tenant_id, customer_id)
        if row is None:
            raise CustomerNotFoundError(f"no customer {customer_id}")
        ledger = await consent_store.consent_history(session, tenant_id, customer_id)
    history = [ConsentEntry(r.action, r.source, r.proof, aware(r.occurred_at)) for r in ledger]
    return _view(row, utcnow(), history)


@dataclass(frozen=True)
class RecordConsent:
    """An operator records a customer's decision taken outside WhatsApp (a web form, the till,
    an import, in person)."""

    tenant_id: str
    customer_id: str
    action: Literal["opt_in", "opt_out"]
    source: str
    proof: str | None
    operator: str
    """Who recorded it (the token's subject): the proof of an opt-out given without one."""
    request_id: str | None = None
    """The caller's idempotency key: the same key for the same customer is one ledger entry."""


async def record_consent(command: RecordConsent, deps: NotifierDeps) -> CustomerView:
    """Append the decision to the ledger (an opt-in needs its proof); the customer after it."""
    proof = checked_consent_request(command.action, command.source, command.proof)
    event_id = (
        uuid.uuid5(_REQUEST_IDS, f"{command.customer_id}:{command.request_id}")
        if command.request_id
        else uuid.uuid4()
    )
    now = utcnow()
    if command.action == "opt_in":
        assert proof is not None
        opt_in = RecordOptIn(
            command.tenant_id, command.customer_id, command.source, proof, now, event_id
        )
        await record_opt_in(opt_in, deps)
    else:
        async with deps.sessions() as session, session.begin():
            added = await consent_store.record_consent(
                session,
                tenant_id=command.tenant_id,
                customer_id=command.customer_id,
                phone_number_id=None,
                action="opt_out",
                source=command.source,
                proof=(proof or f"recorded by operator {command.operator}")[:1000],
                event_id=event_id,
                occurred_at=now,
            )
        log.info("consent.opt_out_recorded", tenant_id=command.tenant_id, new=added)
    return await get_customer(command.tenant_id, command.customer_id, deps)


async def set_tags(
    tenant_id: str, customer_id: str, tags: Sequence[str], deps: NotifierDeps
) -> CustomerView:
    """Replace a known customer's tags (`domain.customers.checked_tags`)."""
    checked = checked_tags(tags)
    async with deps.sessions() as session, session.begin():
        if await customer_store.customer(session, tenant_id, customer_id) is None:
            raise CustomerNotFoundError(f"no customer {customer_id}")
        await customer_store.set_tags(session, tenant_id, customer_id, checked)
    log.info("customer.tags_set", tenant_id=tenant_id, count=len(checked))
    return await get_customer(tenant_id, customer_id, deps)


@dataclass(frozen=True)
class KeywordList:
    keywords: tuple[ConsentKeyword, ...]
    uses_defaults: bool
    """True while the tenant has not set its own list (the built-in one applies)."""


async def get_keywords(tenant_id: str, deps: NotifierDeps) -> KeywordList:
    async with deps.sessions() as session:
        keywords = await consent_store.keywords(session, tenant_id)
        configured = await customer_store.keywords_configured(session, tenant_id)
    return KeywordList(keywords, not configured)


async def put_keywords(
    tenant_id: str, keywords: Sequence[ConsentKeyword], deps: NotifierDeps
) -> KeywordList:
    """Replace the list through `set_consent_keywords` (it refuses an unusable list whole)."""
    await set_consent_keywords(SetConsentKeywords(tenant_id, tuple(keywords)), deps)
    return await get_keywords(tenant_id, deps)
