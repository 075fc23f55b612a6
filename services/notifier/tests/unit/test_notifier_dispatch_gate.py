"""The dispatch gate: at a full window, a conversation reply takes the next freed place before
the campaign sends that were waiting for it."""

from __future__ import annotations

import asyncio

import pytest

from bancone_notifier.adapters.dispatch_gate import DispatchGate
from bancone_notifier.domain.pacing import Priority
from bancone_notifier.domain.pacing_slots import PacingLimits

pytestmark = pytest.mark.unit

LIMITS = PacingLimits(rate_per_second=2.0)  # a window of 2 sends a second


class ManualClock:
    """Time moves only when the test says; sleepers wake, in the order they slept, once it
    has passed their time."""

    def __init__(self) -> None:
        self.time = 1000.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.time + max(seconds, 0.0), future))
        await future

    async def advance(self, seconds: float) -> None:
        self.time += seconds
        due = [(at, future) for at, future in self._sleepers if at <= self.time]
        self._sleepers = [entry for entry in self._sleepers if entry not in due]
        for _, future in due:
            future.set_result(None)
        for _ in range(20):  # let the woken run to their next wait
            await asyncio.sleep(0)


async def test_a_reply_goes_before_the_campaign_sends_waiting_for_the_same_room() -> None:
    clock = ManualClock()
    gate = DispatchGate(clock)
    left: list[str] = []

    async def send(name: str, priority: Priority) -> None:
        ticket = await gate.admit("1065550001", LIMITS, priority)
        left.append(name)
        ticket.answered()

    await send("c0", "campaign")
    await send("c1", "campaign")  # the window is full until 1001
    waiting = [asyncio.create_task(send(f"c{i}", "campaign")) for i in range(2, 6)]
    await clock.advance(0.5)
    reply = asyncio.create_task(send("reply", "reply"))
    await clock.advance(0.0)
    assert left == ["c0", "c1"], "everyone holds while the window is full"

    await clock.advance(0.5)  # 1001: c0 and c1 are a second old, two places free
    assert left[:4] == ["c0", "c1", "reply", "c2"], "the reply took the first place"
    assert reply.done()
    for _ in range(3):
        await clock.advance(1.0)
    await asyncio.gather(*waiting)
    assert sorted(left) == sorted(["c0", "c1", "c2", "c3", "c4", "c5", "reply"])
    assert gate.holds == 5, "each held send counted once"
