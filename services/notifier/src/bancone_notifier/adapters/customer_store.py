"""The customer directory: who the tenant's customers are, with their consent, profile, last
message, tags and interests — one query per page, per customer, or per campaign audience —
and the writes of tags and interests, each inside the caller's transaction.

A customer is "known" once any of these holds a row for them: the consent ledger's current
state, a profile (name, language), a 24-hour window, a tag or an interest.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.clock import utcnow
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_notifier.adapters.repository import aware
from bancone_notifier.adapters.tables import (
    ConsentKeywordsRecord,
    CustomerConsentRecord,
    CustomerInterestRecord,
    CustomerProfileRecord,
    CustomerTagRecord,
    CustomerWindowRecord,
)
from bancone_notifier.domain.audience import Candidate
from bancone_notifier.domain.interests import InterestKind

_CONSENTS: sa.Table = CustomerConsentRecord.__table__  # type: ignore[attr-defined]
_PROFILES: sa.Table = CustomerProfileRecord.__table__  # type: ignore[attr-defined]
_WINDOWS: sa.Table = CustomerWindowRecord.__table__  # type: ignore[attr-defined]
_TAGS: sa.Table = CustomerTagRecord.__table__  # type: ignore[attr-defined]
_INTERESTS: sa.Table = CustomerInterestRecord.__table__  # type: ignore[attr-defined]
_SEPARATOR = ","
"""Between aggregated tags and categories (neither may contain it)."""


@dataclass(frozen=True)
class CustomerRow:
    customer_id: str
    consent: str | None
    """`opted_in`, `opted_out`, or None: the ledger has nothing on them."""
    name: str | None
    language: str | None
    last_inbound_at: datetime | None
    tags: tuple[str, ...]
    bought: tuple[str, ...]
    asked: tuple[str, ...]


async def _run(session: AsyncSession, statement: sa.Executable) -> sa.CursorResult[Any]:
    connection = await session.connection()
    return await connection.execute(statement)


def _known(tenant_id: str, customer_id: str | None = None) -> sa.Subquery:
    """The ids of the tenant's known customers (or of this one, if known)."""
    branches = []
    for table in (_CONSENTS, _PROFILES, _WINDOWS, _TAGS, _INTERESTS):
        branch = sa.select(table.c.customer_id).where(table.c.tenant_id == tenant_id)
        if customer_id is not None:
            branch = branch.where(table.c.customer_id == customer_id)
        branches.append(branch)
    return sa.union(*branches).subquery("known")


def _joined(
    tenant_id: str, base: sa.FromClause, phone_number_id: str | None
) -> tuple[sa.Select[Any], sa.ColumnElement[str]]:
    """Everything about each customer id of `base`, in one statement (correlated
    subqueries for the last message, tags and interests). Last message: on this number, or
    the newest on any when `phone_number_id` is None."""
    customer = base.c.customer_id

    def _of(table: sa.Table) -> sa.ColumnElement[bool]:
        return sa.and_(table.c.tenant_id == tenant_id, table.c.customer_id == customer)

    window = _of(_WINDOWS)
    if phone_number_id is not None:
        window = sa.and_(window, _WINDOWS.c.phone_number_id == phone_number_id)
    last = sa.select(sa.func.max(_WINDOWS.c.last_inbound_at)).where(window).scalar_subquery()

    def _strings(column: sa.Column[str], where: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
        return (
            sa.select(sa.func.aggregate_strings(column, _SEPARATOR)).where(where).scalar_subquery()
        )

    def _interest(kind: InterestKind) -> sa.ScalarSelect[Any]:
        return _strings(_INTERESTS.c.category, sa.and_(_of(_INTERESTS), _INTERESTS.c.kind == kind))

    statement = sa.select(
        customer.label("customer_id"),
        _CONSENTS.c.status,
        _PROFILES.c.profile_name,
        _PROFILES.c.language,
        last.label("last_inbound_at"),
        _strings(_TAGS.c.tag, _of(_TAGS)).label("tags"),
        _interest("bought").label("bought"),
        _interest("asked").label("asked"),
    ).select_from(base.outerjoin(_CONSENTS, _of(_CONSENTS)).outerjoin(_PROFILES, _of(_PROFILES)))
    return statement, customer


def _split(joined: str | None) -> tuple[str, ...]:
    return tuple(sorted(set(joined.split(_SEPARATOR)))) if joined else ()


def _row(values: sa.Row[Any]) -> CustomerRow:
    customer_id, status, name, language, last, tags, bought, asked = tuple(values)
    return CustomerRow(
        customer_id=customer_id,
        consent=status,
        name=name,
        language=language,
        last_inbound_at=aware(last) if last is not None else None,
        tags=_split(tags),
        bought=_split(bought),
        asked=_split(asked),
    )


async def customer_page(
    session: AsyncSession,
    tenant_id: str,
    *,
    consent: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> list[CustomerRow]:
    """Up to `limit` known customers in customer-id order after `after`. `consent`:
    `opted_in`, `opted_out` or `none` (no ledger entry); `tag`: carries it; `q`: the id starts
    with it, or the profile name contains it (any case)."""
    statement, customer = _joined(tenant_id, _known(tenant_id), None)
    if consent == "none":
        statement = statement.where(_CONSENTS.c.status.is_(None))
    elif consent is not None:
        statement = statement.where(_CONSENTS.c.status == consent)
    if tag is not None:
        statement = statement.where(
            sa.exists().where(
                _TAGS.c.tenant_id == tenant_id, _TAGS.c.customer_id == customer, _TAGS.c.tag == tag
            )
        )
    if q:
        statement = statement.where(
            sa.or_(
                customer.startswith(q, autoescape=True),
                sa.func.lower(_PROFILES.c.profile_name).contains(q.lower(), autoescape=True),
            )
        )
    if after is not None:
        statement = statement.where(customer > after)
    statement = statement.order_by(customer).limit(limit)
    return [_row(values) for values in (await _run(session, statement)).all()]


async def customer(session: AsyncSession, tenant_id: str, customer_id: str) -> CustomerRow | None:
    """The tenant's customer, or None when nothing is known of them."""
    statement, _ = _joined(tenant_id, _known(tenant_id, customer_id), None)
    found = (await _run(session, statement)).first()
    return _row(found) if found is not None else None


async def candidates(
    session: AsyncSession, tenant_id: str, phone_number_id: str, *, opted_in_only: bool
) -> list[Candidate]:
    """Who a campaign from `phone_number_id` may reach, with everything its segment filters
    on (last contact on that number), in one query; `opted_in_only` when no customer is
    listed by name (then nobody else can receive)."""
    if opted_in_only:
        base = (
            sa.select(_CONSENTS.c.customer_id)
            .where(_CONSENTS.c.tenant_id == tenant_id, _CONSENTS.c.status == "opted_in")
            .subquery("known")
        )
    else:
        base = _known(tenant_id)
    statement, customer = _joined(tenant_id, base, phone_number_id)
    rows = [_row(values) for values in (await _run(session, statement.order_by(customer))).all()]
    return [
        Candidate(
            customer_id=row.customer_id,
            consent=row.consent,
            language=row.language,
            name=row.name,
            last_inbound_at=row.last_inbound_at,
            tags=frozenset(row.tags),
            bought=frozenset(row.bought),
            asked=frozenset(row.asked),
        )
        for row in rows
    ]


async def set_tags(
    session: AsyncSession, tenant_id: str, customer_id: str, tags: Sequence[str]
) -> None:
    """Make the customer's tags exactly `tags` (kept tags keep their `created_at`)."""
    await _run(
        session,
        sa.delete(_TAGS).where(
            _TAGS.c.tenant_id == tenant_id,
            _TAGS.c.customer_id == customer_id,
            _TAGS.c.tag.not_in(list(tags)),
        ),
    )
    now = utcnow()
    for tag in tags:
        await insert_ignoring_conflict(
            session,
            CustomerTagRecord,
            {"tenant_id": tenant_id, "customer_id": customer_id, "tag": tag, "created_at": now},
        )


async def add_interests(
    session: AsyncSession,
    *,
    tenant_id: str,
    customer_id: str,
    kind: InterestKind,
    categories: Collection[str],
    at: datetime,
) -> int:
    """Record the categories (a known one only moves its `last_at` forward); how many are new."""
    added = 0
    for category in sorted(categories):
        key = {"tenant_id": tenant_id, "customer_id": customer_id, "kind": kind}
        if await insert_ignoring_conflict(
            session,
            CustomerInterestRecord,
            key | {"category": category, "first_at": at, "last_at": at},
        ):
            added += 1
            continue
        await _run(
            session,
            sa.update(_INTERESTS)
            .where(
                _INTERESTS.c.tenant_id == tenant_id,
                _INTERESTS.c.customer_id == customer_id,
                _INTERESTS.c.kind == kind,
                _INTERESTS.c.category == category,
                _INTERESTS.c.last_at < at,
            )
            .values(last_at=at),
        )
    return added


async def keywords_configured(session: AsyncSession, tenant_id: str) -> bool:
    """Whether the tenant set its own keyword list (else the defaults apply)."""
    return await session.get(ConsentKeywordsRecord, tenant_id) is not None
