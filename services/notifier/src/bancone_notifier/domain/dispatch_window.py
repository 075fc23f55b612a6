"""The last line of pacing in one replica: never more than the tier in any second of Meta's.

Booked slots (`pacing_slots`) are spaced at the tier less a margin, but a slot is only a time
to wake up, and Meta counts arrivals, not our slots. An event loop busy elsewhere wakes a
sender late, and the request then waits again inside the HTTP client and in the receiver's
own loop: late ones land next to the on-time ones after them. At a saturated 30/s tier that
made the 31st arrival of some second for 4 % of a campaign's sends (130429, the number held
for a second); a window over the moments sends *left* this process still let 0.1 % through,
bunched on the way.

So each send is counted from when it left until when it surely arrived: its answer (Meta
answers after counting it), or `left + ceiling` while no answer has come. A send may leave at
`now` only while fewer than `cap` earlier sends may still have arrived within the second
before `now`; whatever the jitter on the way, no second of arrivals then holds more than `cap`.
On a fast path (the sandbox, a few ms) this costs the round trip; on a slow one at most
`ceiling` (80 per 1.1 s at the default, 73/s).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

SECOND = 1.0


@dataclass
class WindowSend:
    """One send counted by the window: when it left, and when its answer came (if it has)."""

    left: float
    answered_at: float | None = None

    def answered(self, at: float) -> None:
        self.answered_at = at

    def arrived_by(self, ceiling: float) -> float:
        """The latest moment Meta can have counted it."""
        bound = self.left + ceiling
        return bound if self.answered_at is None else min(self.answered_at, bound)


class DispatchWindow:
    """At most `cap` sends that may have arrived within any one second (pure: the caller
    passes the time)."""

    def __init__(self, cap: int, ceiling: float) -> None:
        if cap < 1:
            raise ValueError("cap must be at least 1")
        if ceiling < 0:
            raise ValueError("ceiling must not be negative")
        self.cap = cap
        self.ceiling = ceiling
        self._sends: deque[WindowSend] = deque()

    def wait(self, now: float) -> float:
        """Seconds to hold a send that would leave at `now` (0: it may go)."""
        while self._sends and self._sends[0].left + self.ceiling + SECOND <= now:
            self._sends.popleft()  # arrived more than a second ago, whatever the answer
        recent = sorted(
            bound for send in self._sends if (bound := send.arrived_by(self.ceiling)) + SECOND > now
        )
        if len(recent) < self.cap:
            return 0.0
        # The send may go once all but cap - 1 of them are a second past their arrival.
        return recent[len(recent) - self.cap] + SECOND - now

    def record(self, at: float) -> WindowSend:
        """A send left at `at` (in order of time); tell the handle when its answer comes."""
        send = WindowSend(at)
        self._sends.append(send)
        return send
