"""The one retry helper: backoff with jitter, an exception filter, `Retry-After`, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bancone_kit.messaging.retry import RetryPolicy, parse_retry_after

pytestmark = pytest.mark.unit


class TransientError(Exception):
    def __init__(self, retry_after_seconds: float | None = None) -> None:
        super().__init__("try again")
        self.retry_after_seconds = retry_after_seconds


class PermanentError(Exception):
    pass


class Flaky:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


class Sleeps:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_transient_errors_are_retried_until_the_call_succeeds() -> None:
    flaky, sleeps = Flaky(TransientError(), TransientError()), Sleeps()
    policy = RetryPolicy(attempts=5, initial_delay=0.1, max_delay=1.0, jitter=0.0)
    assert await policy.call(flaky, TransientError, sleep=sleeps) == "ok"
    assert flaky.calls == 3
    assert sleeps.waits == [0.1, 0.2], "exponential backoff"


async def test_an_error_outside_the_filter_is_raised_at_once() -> None:
    flaky, sleeps = Flaky(PermanentError()), Sleeps()
    with pytest.raises(PermanentError):
        await RetryPolicy(attempts=5).call(flaky, TransientError, sleep=sleeps)
    assert flaky.calls == 1
    assert sleeps.waits == []


async def test_a_predicate_filter_decides_per_error() -> None:
    flaky = Flaky(TransientError(), TransientError(retry_after_seconds=None))
    policy = RetryPolicy(attempts=5, initial_delay=0.0, jitter=0.0)
    seen: list[BaseException] = []

    def first_only(error: BaseException) -> bool:
        seen.append(error)
        return len(seen) == 1

    with pytest.raises(TransientError):
        await policy.call(flaky, first_only, sleep=Sleeps())
    assert flaky.calls == 2


async def test_it_gives_up_after_the_attempts_and_raises_the_last_error() -> None:
    errors = [TransientError() for _ in range(4)]
    flaky, sleeps = Flaky(*errors), Sleeps()
    with pytest.raises(TransientError) as raised:
        await RetryPolicy(attempts=3, initial_delay=0.0, jitter=0.0).call(
            flaky, TransientError, sleep=sleeps
        )
    assert raised.value is errors[2]
    assert flaky.calls == 3
    assert len(sleeps.waits) == 2


async def test_a_deadline_stops_before_a_wait_would_pass_it() -> None:
    flaky, sleeps = Flaky(*(TransientError() for _ in range(10))), Sleeps()
    policy = RetryPolicy(attempts=None, initial_delay=1.0, max_delay=60.0, jitter=0.0, deadline=3.5)
    with pytest.raises(TransientError):
        await policy.call(flaky, TransientError, sleep=sleeps)
    assert sleeps.waits == [1.0, 2.0], "the third wait (4 s) would pass the 3.5 s deadline"


async def test_a_retry_after_hint_stretches_the_wait_up_to_the_maximum() -> None:
    flaky = Flaky(TransientError(retry_after_seconds=3.0), TransientError(retry_after_seconds=99))
    sleeps = Sleeps()
    policy = RetryPolicy(attempts=3, initial_delay=0.1, max_delay=10.0, jitter=0.0)
    assert await policy.call(flaky, TransientError, sleep=sleeps) == "ok"
    assert sleeps.waits == [3.0, 10.0]


def test_a_retry_after_shorter_than_the_backoff_does_not_shorten_it() -> None:
    policy = RetryPolicy(initial_delay=2.0, max_delay=10.0, jitter=0.0)
    assert policy.delay(1, TransientError(retry_after_seconds=0.5)) == 2.0


def test_jitter_adds_at_most_its_amount() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=100.0, jitter=0.5)
    waits = [policy.delay(2) for _ in range(200)]
    assert all(2.0 <= wait <= 2.5 for wait in waits)
    assert len(set(waits)) > 1


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
    ],
)
def test_retry_after_in_seconds(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    earlier = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now) == 90.0
    assert parse_retry_after(earlier, now=now) == 0.0
