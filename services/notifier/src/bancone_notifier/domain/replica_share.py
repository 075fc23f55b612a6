"""Each replica's share of a number's tier, so the replicas' dispatch windows together never let
more than the tier arrive at Meta in one second (pure: the caller passes the time).

A replica's dispatch window (`dispatch_window.py`) bounds only its own sends; two replicas that
each fill the tier crowd Meta's second (130429 refused 168 of 10,000 sends at 80/s on two replicas). So
the live replicas (a heartbeat row each, `adapters/replica_roster.py`) split the cap: sorted by
id, the replica at ordinal `i` of `n` takes `ceil((cap - i) / n)` — the caps of all add up to
exactly `cap`, and no replica's share grows when one joins (it only moves to a higher ordinal or
divides by more), so the shares stay within the cap whatever order the replicas learn of a join.

The two moments that need care:
- **Joining**: the others learn of a newcomer at their next heartbeat, and their windows still
  hold the last second's sends counted at the old share. A newcomer that is not alone sends
  nothing for `join_delay` (two heartbeats and a second) after its first beat.
- **Leaving**: a replica stopped cleanly deletes its row (after its last send); one that died
  is dropped by the others once its row is `expiry` old. A replica whose own heartbeats fail
  (cut off from the database, a long stall) stops sending at `fence_after` — a heartbeat
  before the others drop it — and joins afresh once a beat succeeds again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

NEVER = math.inf


def share_of(cap: int, replicas: int, ordinal: int) -> int:
    """The sends of `cap` per second that fall to the replica at `ordinal` of `replicas`:
    round-robin, so the first `cap % replicas` take one more (0 when there are more replicas
    than the cap and this one comes after them)."""
    if replicas < 1 or not 0 <= ordinal < replicas:
        raise ValueError("the ordinal is one of the replicas")
    return max(0, -(-(cap - ordinal) // replicas))


@dataclass(frozen=True)
class RosterTiming:
    """How often a replica beats, and the times that follow from it."""

    heartbeat_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.heartbeat_seconds <= 0:
            raise ValueError("heartbeat_seconds must be positive")

    @property
    def expiry(self) -> float:
        """A row not beaten for this long is a replica gone: the others take its share."""
        return 4 * self.heartbeat_seconds

    @property
    def fence_after(self) -> float:
        """A replica whose last successful beat is this old stops sending (before the others
        drop its row and take its share)."""
        return 3 * self.heartbeat_seconds

    @property
    def join_delay(self) -> float:
        """What a newcomer beside others waits: every other replica has beaten (and cut its
        share) twice over, and the sends of their last second at the old share have aged out."""
        return 2 * self.heartbeat_seconds + 1.0


class ReplicaShare:
    """What one replica knows of the roster, from its own heartbeats."""

    def __init__(self, me: str, timing: RosterTiming) -> None:
        self.me = me
        self.timing = timing
        self.members: tuple[str, ...] = ()
        self._last_beat: float | None = None
        self._ready_at = NEVER

    def beaten(self, at: float, live: Iterable[str]) -> None:
        """A heartbeat succeeded at `at`; `live` are the replicas whose rows are not expired
        (this one included: its row was written in the same transaction)."""
        members = tuple(sorted(set(live) | {self.me}))
        if self._last_beat is None or at > self._last_beat + self.timing.fence_after:
            # (Re)joining: alone, nobody's windows need to shrink first.
            alone = members == (self.me,)
            self._ready_at = at if alone else at + self.timing.join_delay
        self.members = members
        self._last_beat = at

    def ready_at(self, now: float) -> float:
        """When this replica may send at the earliest (`now` if it may; NEVER when fenced:
        only a successful heartbeat can let it send again)."""
        if self._last_beat is None or now > self._last_beat + self.timing.fence_after:
            return NEVER
        return max(now, self._ready_at)

    def share(self, cap: int, now: float) -> int:
        """This replica's part of `cap` at `now` (0: hold)."""
        if self.ready_at(now) > now:
            return 0
        return share_of(cap, len(self.members), self.members.index(self.me))
