"""The loop-lag tick: 0 until started; one stall is not lateness, a loop that stays behind is."""

from __future__ import annotations

import asyncio
import time

import pytest

from bancone_gateway.entrypoints.loop_lag import LoopLag

pytestmark = pytest.mark.unit

BLOCKED = 0.3


async def _stall_then_tick(lag: LoopLag) -> None:
    """Block the loop past a tick's due time, then let that (late) tick run."""
    ticks = lag.ticks
    time.sleep(BLOCKED)  # noqa: ASYNC251 - the point: the loop cannot run the tick meanwhile
    while lag.ticks == ticks:
        await asyncio.sleep(0)


async def test_one_stall_is_not_lateness_a_loop_that_stays_behind_is() -> None:
    lag = LoopLag(interval=0.01, window=2)
    assert lag.seconds == 0.0
    lag.start()
    while lag.ticks < 3:
        await asyncio.sleep(0.01)

    await _stall_then_tick(lag)
    after_one_stall = lag.seconds
    await _stall_then_tick(lag)
    after_two = lag.seconds
    await lag.stop()

    assert after_one_stall < BLOCKED - 0.01  # the tick before it was on time
    assert after_two >= BLOCKED - 0.01  # both of the last two ticks were that late at least
    assert lag.seconds == 0.0
