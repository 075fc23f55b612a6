"""The loop-lag tick: it reads 0 until started, sees a loop blocked right now (before the tick
itself runs), and keeps the lateness its last tick met."""

from __future__ import annotations

import asyncio
import time

import pytest

from bancone_gateway.entrypoints.loop_lag import LoopLag

pytestmark = pytest.mark.unit

BLOCKED = 0.3


async def test_a_blocked_loop_is_seen_late_while_and_after_it_is_blocked() -> None:
    lag = LoopLag(interval=0.01)
    assert lag.seconds == 0.0
    lag.start()
    await asyncio.sleep(0.05)  # a few ticks

    time.sleep(BLOCKED)  # the loop cannot run the tick meanwhile
    while_blocked = lag.seconds
    await asyncio.sleep(0.02)  # the overdue tick runs and keeps what it met
    after_tick = lag.seconds
    await lag.stop()

    assert while_blocked >= BLOCKED - 0.01
    assert after_tick >= BLOCKED - 0.01
    assert lag.seconds == 0.0
