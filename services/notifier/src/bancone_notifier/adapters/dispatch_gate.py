"""The last step of pacing in one replica, just before a request leaves: this replica's share
of the tier (`domain/replica_share.py`) in each number's dispatch window
(`domain/dispatch_window.py`), with conversation replies first.

Slots already put replies ahead of campaign traffic, but at a saturated tier the window is
full too, and the sends waiting for room in it are mostly campaign ones: a reply that had to
compete with them for each freed place waited up to a second more (two replicas at a 30/s
tier: reply p95 +1.7 s). So while a reply waits for a number's window, campaign sends of that
number do not take the room; they wait for the replies to have left.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from bancone_kit.logging import get_logger
from bancone_notifier.adapters.pacing_clock import Clock
from bancone_notifier.domain.dispatch_window import DispatchWindow, WindowSend
from bancone_notifier.domain.pacing import Priority
from bancone_notifier.domain.pacing_slots import PacingLimits
from bancone_notifier.domain.replica_share import ReplicaShare
from bancone_notifier.metrics import WINDOW_HOLDS

log = get_logger(__name__)


class WindowTicket:
    """A granted send's place in its number's dispatch window; the answer's time bounds when
    Meta counted it."""

    def __init__(self, send: WindowSend, clock: Clock) -> None:
        self._send = send
        self._clock = clock

    def answered(self) -> None:
        self._send.answered(self._clock.now())


class DispatchGate:
    """Per number: the window, the replies waiting for it, and this replica's share."""

    def __init__(self, clock: Clock, share: ReplicaShare | None = None) -> None:
        """`share`: this replica's part of each tier (None: the whole tier, one replica)."""
        self._clock = clock
        self._share = share
        self._windows: dict[str, DispatchWindow] = {}
        self._replies_waiting: dict[str, int] = defaultdict(int)
        self._replies_left: dict[str, asyncio.Condition] = defaultdict(asyncio.Condition)
        self.holds = 0
        """Sends held by a window (woken late, they would have bunched), once each."""

    async def until_joined(self) -> None:
        """A replica that has only just joined (or is cut off from the roster) sends nothing:
        the others have not made room for it yet. The pacer checks this before the slot and the
        pair's claim, so neither is spent on a send that would then wait."""
        if self._share is None:
            return
        while (now := self._clock.now()) < (ready := self._share.ready_at(now)):
            await self._clock.sleep(min(ready - now, self._share.timing.heartbeat_seconds))

    async def admit(
        self, phone_number_id: str, limits: PacingLimits, priority: Priority
    ) -> WindowTicket:
        """Hold until this replica's recent sends leave room in Meta's second (replies
        before campaign traffic), then count this send."""
        window = self._windows.get(phone_number_id)
        if window is None or window.expiry != limits.unanswered_expiry_seconds:
            window = self._windows[phone_number_id] = DispatchWindow(
                limits.unanswered_expiry_seconds
            )
        if priority == "campaign":
            return await self._hold(phone_number_id, window, limits, priority)
        self._replies_waiting[phone_number_id] += 1
        try:
            return await self._hold(phone_number_id, window, limits, priority)
        finally:
            self._replies_waiting[phone_number_id] -= 1
            left = self._replies_left[phone_number_id]
            async with left:
                left.notify_all()

    async def _hold(
        self, phone_number_id: str, window: DispatchWindow, limits: PacingLimits, priority: Priority
    ) -> WindowTicket:
        held = False
        while True:
            if priority == "campaign" and self._replies_waiting[phone_number_id]:
                left = self._replies_left[phone_number_id]
                async with left:
                    await left.wait_for(lambda: not self._replies_waiting[phone_number_id])
            now = self._clock.now()
            cap = self._cap(limits, now)
            if cap < 1:  # fenced since the claim, or more replicas than the tier has sends
                assert self._share is not None  # a whole tier is at least 1
                log.warning("pacing.no_share", phone_number_id=phone_number_id)
                await self._clock.sleep(self._share.timing.heartbeat_seconds)
                continue
            if (wait := window.wait(now, cap)) <= 0:
                return WindowTicket(window.record(now), self._clock)
            if not held:  # counted once per send, however often it checks again
                held = True
                self.holds += 1
                WINDOW_HOLDS.inc()
            await self._clock.sleep(wait)

    def _cap(self, limits: PacingLimits, now: float) -> int:
        if self._share is None:
            return limits.window_cap
        return self._share.share(limits.window_cap, now)
