"""Which faults run, in which order, and how many messages each phase sends (pure).

Each phase posts `messages` customer messages at `rate` a second; its fault starts after
`lead` of them were posted and is lifted `hold` seconds later (a kill is lifted by the
supervisor's restart, so its hold is only how long the harness waits before checking). The
soak comes last and injects nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

FAULTS = (
    "baseline",
    "agent SIGKILL (2 replicas, rebalance)",
    "notifier SIGKILL mid-send",
    "gateway SIGKILL",
    "relay crash between publish and mark",
    "Kafka broker restart",
    "PostgreSQL restart",
    "Graph API 429/5xx storm",
    "LLM outage",
    "webhook delivered 3 times",
    "Kafka paused while Meta delivers",
    "status webhooks out of order",
)
"""Every phase before the soak, by the name the table shows (the injector is keyed by it)."""

SOAK = "soak"


@dataclass(frozen=True)
class PhasePlan:
    name: str
    messages: int
    rate: float
    lead: int
    hold: float

    @property
    def seconds(self) -> float:
        """How long posting takes at `rate` (the fault may stretch it: retries wait)."""
        return self.messages / self.rate


@dataclass(frozen=True)
class Sizes:
    """Messages per fault phase, messages in the soak, and the steady rate."""

    per_fault: int
    soak: int
    rate: float
    soak_rate: float
    hold: float


FULL = Sizes(per_fault=60, soak=10_000, rate=4.0, soak_rate=25.0, hold=8.0)
QUICK = Sizes(per_fault=20, soak=300, rate=4.0, soak_rate=20.0, hold=4.0)


def plan(sizes: Sizes, only: tuple[str, ...] = ()) -> list[PhasePlan]:
    """The phases in order: every fault (or those whose name contains one of `only`), then
    the soak (kept unless `only` excludes it). The fault starts a third of the way in."""
    chosen = [
        name
        for name in (*FAULTS, SOAK)
        if not only or any(part.lower() in name.lower() for part in only)
    ]
    phases = []
    for name in chosen:
        if name == SOAK:
            phases.append(PhasePlan(name, sizes.soak, sizes.soak_rate, lead=sizes.soak, hold=0))
        else:
            lead = sizes.per_fault // 3
            phases.append(PhasePlan(name, sizes.per_fault, sizes.rate, lead=lead, hold=sizes.hold))
    return phases
