"""A number's throughput tier (docs/pacing.md): read by a viewer, set by an admin of the
tenant whose channel it is. The pacer books at the new tier from its next booking on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bancone_kit.logging import get_logger
from bancone_notifier.adapters import pacing_store
from bancone_notifier.domain.pacing import NumberNotFoundError, checked_tier

if TYPE_CHECKING:
    from bancone_notifier.deps import NotifierDeps

log = get_logger(__name__)


@dataclass(frozen=True)
class NumberPacing:
    phone_number_id: str
    own_tier: int | None
    """Set for this number; None: the setting's tier applies."""
    default_tier: float

    @property
    def tier_per_second(self) -> float:
        return self.own_tier if self.own_tier is not None else self.default_tier


@dataclass(frozen=True)
class SetNumberTier:
    tenant_id: str
    phone_number_id: str
    tier_per_second: int | None


def _views(
    numbers: list[str], tiers: dict[str, float | None], default: float
) -> list[NumberPacing]:
    def own(number: str) -> int | None:
        tier = tiers.get(number)
        return None if tier is None else round(tier)

    return [NumberPacing(number, own(number), default) for number in numbers]


async def list_number_pacing(tenant_id: str, deps: NotifierDeps) -> list[NumberPacing]:
    async with deps.sessions() as session:
        numbers = list(await pacing_store.tenant_numbers(session, tenant_id))
        tiers = await pacing_store.own_tiers(session, numbers)
    return _views(numbers, tiers, deps.pacing_tier_per_second)


async def number_pacing(tenant_id: str, phone_number_id: str, deps: NotifierDeps) -> NumberPacing:
    """`NumberNotFoundError` unless the number is one of the tenant's channels."""
    async with deps.sessions() as session:
        numbers = list(await pacing_store.tenant_numbers(session, tenant_id, phone_number_id))
        if not numbers:
            raise NumberNotFoundError(phone_number_id)
        tiers = await pacing_store.own_tiers(session, numbers)
    return _views(numbers, tiers, deps.pacing_tier_per_second)[0]


async def set_number_tier(command: SetNumberTier, deps: NotifierDeps) -> NumberPacing:
    tier = checked_tier(command.tier_per_second)
    async with deps.sessions() as session, session.begin():
        if not await pacing_store.tenant_numbers(
            session, command.tenant_id, command.phone_number_id
        ):
            raise NumberNotFoundError(command.phone_number_id)
        await pacing_store.set_tier(
            session, command.phone_number_id, float(tier) if tier is not None else None
        )
    log.info(
        "pacing.tier_set",
        tenant_id=command.tenant_id,
        phone_number_id=command.phone_number_id,
        tier_per_second=tier,
    )
    return await number_pacing(command.tenant_id, command.phone_number_id, deps)
