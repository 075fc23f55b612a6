"""Usage routes: one day's assistant turns, tokens and estimated cost, and per-day series
for the console's charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bancone_agent import operator_handlers as handlers
from bancone_agent.domain.commands import SumDailyUsage, UsageByDay
from bancone_agent.domain.usage import DayUsage, Usage
from bancone_agent.entrypoints.web import PREFIX, Deps, TenantId, ViewerCaller

router = APIRouter(prefix=PREFIX, tags=["usage"])


class UsageOut(BaseModel):
    turns: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    estimated_cost: Decimal = Field(description="EUR (the price table), a decimal string.")

    @classmethod
    def of(cls, u: Usage) -> UsageOut:
        return cls(
            turns=u.turns,
            prompt_tokens=u.prompt_tokens,
            completion_tokens=u.completion_tokens,
            total_tokens=u.total_tokens,
            estimated_cost=u.estimated_cost,
        )


class DailyUsageOut(UsageOut):
    tenant_id: str
    date: date
    by_outcome: dict[str, UsageOut]


@router.get("/usage", response_model=DailyUsageOut)
async def usage(
    tenant_id: TenantId,
    _: ViewerCaller,
    deps: Deps,
    day: Annotated[date, Query(alias="date", description="The day (UTC), YYYY-MM-DD.")],
) -> DailyUsageOut:
    """Assistant turns, tokens and estimated cost of one day, in total and by outcome."""
    summary = await handlers.sum_daily_usage(SumDailyUsage(tenant_id, day), deps)
    total = UsageOut.of(summary.total)
    return DailyUsageOut(
        **total.model_dump(),
        tenant_id=tenant_id,
        date=day,
        by_outcome={k: UsageOut.of(v) for k, v in summary.by_outcome.items()},
    )


class DaySatisfactionOut(BaseModel):
    count: int = Field(description="Satisfaction answers given that day.")
    average: Decimal | None = Field(description="Their average score (1-5); null without any.")


class DayOut(BaseModel):
    date: date
    conversations: int
    auto_answered: int
    handed_off: int
    turns: int
    total_tokens: int
    estimated_cost: Decimal
    satisfaction: DaySatisfactionOut

    @classmethod
    def of(cls, d: DayUsage) -> DayOut:
        return cls(
            date=d.day,
            conversations=d.conversations,
            auto_answered=d.auto_answered,
            handed_off=d.handed_off,
            turns=d.turns,
            total_tokens=d.total_tokens,
            estimated_cost=d.estimated_cost,
            satisfaction=DaySatisfactionOut(
                count=d.satisfaction.count, average=d.satisfaction.average
            ),
        )


class DailySeries(BaseModel):
    items: list[DayOut]


@router.get("/usage/daily", response_model=DailySeries)
async def usage_daily(
    tenant_id: TenantId,
    _: ViewerCaller,
    deps: Deps,
    first: Annotated[date, Query(alias="from", description="First day (UTC), included.")],
    last: Annotated[date, Query(alias="to", description="Last day (UTC), included.")],
) -> DailySeries:
    """One entry per day (zeros included) for the usage charts; at most 366 days."""
    found = await handlers.usage_by_day(UsageByDay(tenant_id, first, last), deps)
    return DailySeries(items=[DayOut.of(d) for d in found])
