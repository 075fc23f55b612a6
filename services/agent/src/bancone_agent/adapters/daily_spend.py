"""What a tenant's turns spent on the LLM today, summed from the run log (`agent_turns`, the
same sums as the daily usage API), so the daily budget (`AgentConfig.budget`) holds across
replicas and restarts.

The sum is read before each LLM turn (one indexed range query on `tenant_id, created_at`);
turns in flight at the same moment are not yet in it, so a cap is soft: it may be passed by
what the turns already running spend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_agent.adapters import repository
from bancone_agent.domain.budget import DailySpend
from bancone_agent.domain.usage import daily_usage


class RunLogSpend:
    """`SpendToday` over the agent's database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __call__(self, tenant_id: str, day: date) -> DailySpend:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        async with self._sessions() as session:
            rows = await repository.usage_by_outcome(
                session, tenant_id, start, start + timedelta(days=1)
            )
        total = daily_usage(tenant_id, day, rows).total
        return DailySpend(tokens=total.total_tokens, cost=total.estimated_cost)
