"""The `DeliveryUpdated` events the notifier publishes, and the lifecycle moves behind them:
shared by the send path (`outbound_sending`) and the status handler (`handlers`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.common import WhatsAppError, utc_now
from bancone_contracts.events.delivery import DeliveryResult, DeliveryStatus, DeliveryUpdated
from bancone_kit.messaging.outbox import stage
from bancone_notifier.adapters import repository
from bancone_notifier.adapters.tables import OutboundMessageRecord
from bancone_notifier.domain.lifecycle import apply_status

SOURCE = "notifier"


def delivery_event(
    row: OutboundMessageRecord,
    status: DeliveryStatus,
    *,
    occurred_at: datetime | None = None,
    error_code: int | None = None,
    error_title: str | None = None,
    retryable: bool | None = None,
) -> DeliveryUpdated:
    return DeliveryUpdated.new(
        tenant_id=row.tenant_id,
        source=SOURCE,
        data=DeliveryResult(
            outbound_id=row.outbound_id,
            customer_id=row.customer_id,
            wamid=row.wamid,
            status=status,
            error_code=error_code,
            error_title=error_title,
            retryable=retryable,
            attempt=max(row.attempts, 1),
            occurred_at=occurred_at or utc_now(),
        ),
    )


def error_title(error: WhatsAppError | None) -> str | None:
    if error is None:
        return None
    return (error.title or error.message or "")[:500] or None


def advance(
    session: AsyncSession,
    row: OutboundMessageRecord,
    status: str,
    occurred_at: datetime,
    error: WhatsAppError | None,
) -> bool:
    """Move the lifecycle if `status` ranks higher; publish the new state. False if it did not."""
    new_state = apply_status(row.state, status)
    if new_state is None:
        return False
    row.state = new_state
    row.updated_at = utc_now()
    if new_state == "failed":
        row.error_code = error.code if error else None
        row.error_title = error_title(error)
        row.retryable = False
    stage(
        session,
        delivery_event(
            row,
            new_state,
            occurred_at=occurred_at,
            error_code=row.error_code if new_state == "failed" else None,
            error_title=row.error_title if new_state == "failed" else None,
            retryable=False if new_state == "failed" else None,
        ),
    )
    return True


async def apply_parked_statuses(session: AsyncSession, row: OutboundMessageRecord) -> None:
    """Statuses that beat the send's commit to the database are applied now, in time order."""
    assert row.wamid is not None
    for parked in await repository.unmatched_statuses(session, row.tenant_id, row.wamid):
        parked.outbound_id = row.outbound_id
        error = (
            WhatsAppError(code=parked.error_code, title=parked.error_title)
            if parked.error_code is not None
            else None
        )
        parked.applied = advance(
            session,
            row,
            parked.status,
            repository.aware(parked.occurred_at),
            error,
        )
