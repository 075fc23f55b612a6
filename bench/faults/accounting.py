"""A phase's numbers from what the load generator sent and what the sandbox received (pure).

Every customer message comes from a WhatsApp id of its own, so each should get exactly one
reply to that id: none is *lost* (unless the notifier recorded its send as `unknown` — a crash
mid-send makes the reply's fate unknowable and at-most-once sending does not retry it; those
are counted apart), more than one is *duplicated*. A message Meta gave up on (every attempt
refused) is *rejected*: Meta would have kept it, we count it as lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    """One customer message: its own `wa_id`, when it was first posted (monotonic seconds of
    the load generator's clock), how many posts it took and whether one was accepted (200)."""

    wa_id: str
    first_at: float
    attempts: int = 1
    accepted: bool = True


@dataclass(frozen=True)
class Phase:
    """What one phase sent, with when its fault started and ended (same clock)."""

    name: str
    sent: Sequence[Sent]
    fault_at: float | None = None
    fault_until: float | None = None


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    name: str
    sent: int
    answered: int
    lost: int
    duplicated: int
    unknown: int
    retried: int
    max_delay: float | None
    recovery: float | None

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.duplicated == 0


def account(
    phase: Phase,
    replies: Mapping[str, Sequence[float]],
    unknown: Iterable[str] = (),
) -> Row:
    """The row of `phase`, given each customer's reply times (same clock as `Sent.first_at`)
    and the customers whose reply the notifier recorded as `unknown`.

    Max delay: first post to first reply, over the answered messages. Recovery: from the
    fault's start to the first reply of the last message sent while it lasted (the backlog the
    fault made is gone then); None without a fault or when that message was never answered."""
    unknown_ids = set(unknown)
    answered = lost = duplicated = unknown_count = retried = 0
    delays: list[float] = []
    for sent in phase.sent:
        got = sorted(replies.get(sent.wa_id, ()))
        retried += sent.attempts > 1
        if got:
            answered += 1
            duplicated += len(got) > 1
            delays.append(got[0] - sent.first_at)
        elif sent.wa_id in unknown_ids:
            unknown_count += 1
        else:
            lost += 1
    return Row(
        name=phase.name,
        sent=len(phase.sent),
        answered=answered,
        lost=lost,
        duplicated=duplicated,
        unknown=unknown_count,
        retried=retried,
        max_delay=max(delays) if delays else None,
        recovery=recovery_seconds(phase, replies),
    )


def recovery_seconds(phase: Phase, replies: Mapping[str, Sequence[float]]) -> float | None:
    if phase.fault_at is None:
        return None
    until = phase.fault_until if phase.fault_until is not None else phase.fault_at
    during = [s for s in phase.sent if phase.fault_at <= s.first_at <= until]
    if not during:
        return None
    last = max(during, key=lambda s: s.first_at)
    got = replies.get(last.wa_id)
    if not got:
        return None
    return max(0.0, min(got) - phase.fault_at)


def reply_times(
    messages: Iterable[Mapping[str, object]], to_monotonic: float, customers: set[str]
) -> dict[str, list[float]]:
    """The sandbox's accepted messages (`to`, `received_at` as Unix seconds already parsed into
    `received_unix`) as reply times per customer on the load generator's clock: `to_monotonic`
    is monotonic minus Unix time, measured once on this machine."""
    out: dict[str, list[float]] = {}
    for message in messages:
        to = str(message.get("to"))
        if to not in customers:
            continue
        unix = message.get("received_unix")
        if not isinstance(unix, int | float):
            continue
        out.setdefault(to, []).append(float(unix) + to_monotonic)
    return out
