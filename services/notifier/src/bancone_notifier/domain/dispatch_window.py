"""The last line of pacing in one replica: never more than the tier in any second of Meta's.

Booked slots (`pacing_slots`) are spaced at the tier less a margin, but a slot is only a time
to wake up, and Meta counts arrivals, not our slots. An event loop busy elsewhere wakes a
sender late, and the request then waits again inside the HTTP client and in the receiver's
own loop: late ones land next to the on-time ones after them. At a saturated 30/s tier that
made the 31st arrival of some second for 4 % of a campaign's sends (130429, the number held
for a second); a window over the moments sends *left* this process still let 0.1 % through,
bunched on the way.

So each send is counted from when it left until its answer (Meta answers after counting it);
while unanswered it may arrive at any moment, so it counts as arriving now. A send may leave
at `now` only while fewer than `cap` earlier sends may have arrived within the second before
`now`; whatever the jitter on the way, no second of arrivals then holds more than `cap`. The
cost is the round trip: the tier per (1 s + round trip), 79/s at 80 with 10 ms. A send never
answered (its task cancelled) stops counting `expiry` after it left.

The first version counted an answered send only until `min(answer, left + 0.1 s)`: 3 sends
of 9,750 arrived later than that at 80/s on a CPU-bound notifier, and were refused.
"""

from __future__ import annotations

from dataclasses import dataclass

SECOND = 1.0


@dataclass
class WindowSend:
    """One send counted by the window: when it left, and when its answer came (if it has)."""

    left: float
    answered_at: float | None = None

    def answered(self, at: float) -> None:
        self.answered_at = at

    def arrived_by(self, now: float, expiry: float) -> float:
        """The latest moment Meta can have counted it, as far as is known at `now`."""
        if self.answered_at is not None:
            return self.answered_at
        return min(now, self.left + expiry)


class DispatchWindow:
    """At most `cap` sends that may have arrived within any one second (pure: the caller
    passes the time, and the cap, which is this replica's share of the tier and may change)."""

    def __init__(self, expiry: float) -> None:
        if expiry <= 0:
            raise ValueError("expiry must be positive")
        self.expiry = expiry
        self._sends: list[WindowSend] = []

    def wait(self, now: float, cap: int) -> float:
        """Seconds to hold a send that would leave at `now` (0: it may go)."""
        if cap < 1:
            raise ValueError("cap must be at least 1")
        bounds = [(send.arrived_by(now, self.expiry), send) for send in self._sends]
        kept = [(bound, send) for bound, send in bounds if bound + SECOND > now]
        self._sends = [send for _, send in kept]  # forget what arrived over a second ago
        recent = sorted(bound for bound, _ in kept)
        if len(recent) < cap:
            return 0.0
        # The send may go once all but cap - 1 of them are a second past their arrival.
        return recent[len(recent) - cap] + SECOND - now

    def record(self, at: float) -> WindowSend:
        """A send left at `at` (in order of time); tell the handle when its answer comes."""
        send = WindowSend(at)
        self._sends.append(send)
        return send
