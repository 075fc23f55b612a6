"""The one retry helper for transient failures, used by every outbound call and consumer.

Exponential backoff with jitter, bounded by attempts and optionally by a deadline; only the
errors the caller names are retried; and when the failure carries the server's own hint
(`retry_after_seconds`, e.g. from an HTTP `Retry-After`), the wait stretches to it — capped by
`max_delay`, so one hint cannot stall a consumer. Built on tenacity.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    stop_never,
)
from tenacity.stop import stop_base

T = TypeVar("T")

RetryOn = type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool]
"""Which errors are worth another attempt: exception classes, or a predicate."""

Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from an HTTP `Retry-After` value (delta-seconds or an HTTP-date);
    None when absent or unreadable. A date in the past means "now" (0)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def retry_after_of(error: BaseException | None) -> float | None:
    """The server's wait hint an error carries as `retry_after_seconds`, if any."""
    hint = getattr(error, "retry_after_seconds", None)
    return float(hint) if isinstance(hint, int | float) and not isinstance(hint, bool) else None


def _matcher(retry_on: RetryOn) -> Callable[[BaseException], bool]:
    if isinstance(retry_on, type | tuple):
        kinds = retry_on
        return lambda error: isinstance(error, kinds)
    return retry_on


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try again.

    The n-th wait is `initial_delay * 2**(n-1)` plus up to `jitter` seconds, at most
    `max_delay`; `attempts=None` tries until `deadline` (or forever, for a background start);
    a `deadline` (seconds since the first attempt) stops before a wait would pass it.
    """

    attempts: int | None = 5
    initial_delay: float = 0.2
    max_delay: float = 5.0
    jitter: float = 1.0
    deadline: float | None = None

    def delay(self, attempt_number: int, error: BaseException | None = None) -> float:
        """The wait after failed attempt `attempt_number` (1-based) that ended in `error`."""
        try:
            backoff = self.initial_delay * 2.0 ** (attempt_number - 1)
        except OverflowError:
            backoff = self.max_delay
        wait = min(backoff + random.uniform(0, self.jitter), self.max_delay)
        hint = retry_after_of(error)
        if hint is not None:
            wait = min(max(wait, hint), self.max_delay)
        return max(wait, 0.0)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.delay(state.attempt_number, error)

    def _stop(self) -> stop_base:
        stop: stop_base = stop_never if self.attempts is None else stop_after_attempt(self.attempts)
        if self.deadline is not None:
            stop = stop | stop_before_delay(self.deadline)
        return stop

    def retrying(
        self, retry_on: RetryOn = Exception, *, sleep: Sleep = asyncio.sleep
    ) -> AsyncRetrying:
        """A tenacity controller (`async for attempt in ...: with attempt:`) that retries the
        errors `retry_on` admits and re-raises the last one once the policy is spent.
        `sleep` is how it waits (tests pass one that records instead of waiting)."""
        return AsyncRetrying(
            stop=self._stop(),
            wait=self._wait,
            retry=retry_if_exception(_matcher(retry_on)),
            reraise=True,
            sleep=sleep,
        )

    async def call(
        self,
        operation: Callable[[], Awaitable[T]],
        retry_on: RetryOn = Exception,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> T:
        """`await operation()` until it succeeds, fails with an error not retried, or the
        policy is spent (the last error is raised)."""
        async for attempt in self.retrying(retry_on, sleep=sleep):
            with attempt:
                return await operation()
        raise AssertionError("unreachable: tenacity returns, retries or re-raises")
