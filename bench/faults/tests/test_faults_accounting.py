"""The fault matrix's accounting: lost, duplicated, unknown, delays and recovery from what was
sent and what the sandbox received — the numbers `make faults` reports are only as good as
this."""

from __future__ import annotations

import pytest

from bench.faults.accounting import Phase, Sent, account, recovery_seconds, reply_times
from bench.faults.load import Posted

pytestmark = pytest.mark.unit


def phase(*sent: Sent, fault_at: float | None = None, until: float | None = None) -> Phase:
    return Phase("fault", list(sent), fault_at, until)


def test_one_reply_each_is_answered_and_nothing_else() -> None:
    row = account(phase(Sent("a", 0.0), Sent("b", 1.0)), {"a": [2.0], "b": [1.5]})
    assert (row.sent, row.answered, row.lost, row.duplicated, row.unknown) == (2, 2, 0, 0, 0)
    assert row.max_delay == 2.0
    assert row.clean


def test_no_reply_is_lost_and_two_replies_are_one_duplicated_message() -> None:
    row = account(
        phase(Sent("a", 0.0), Sent("b", 0.0), Sent("c", 0.0)),
        {"a": [1.0, 1.2, 5.0], "c": [3.0]},
    )
    assert (row.answered, row.lost, row.duplicated) == (2, 1, 1)
    assert row.max_delay == 3.0  # the first reply counts, not the copy
    assert not row.clean


def test_a_reply_the_notifier_recorded_unknown_is_counted_apart_not_lost() -> None:
    row = account(phase(Sent("a", 0.0), Sent("b", 0.0)), {}, unknown=["a"])
    assert (row.lost, row.unknown) == (1, 1)


def test_an_unknown_record_does_not_hide_a_reply_that_arrived() -> None:
    row = account(phase(Sent("a", 0.0)), {"a": [1.0]}, unknown=["a"])
    assert (row.answered, row.unknown, row.lost) == (1, 0, 0)


def test_messages_posted_more_than_once_are_counted_as_retried() -> None:
    row = account(
        phase(Sent("a", 0.0, attempts=3), Sent("b", 0.0, attempts=1, accepted=False)),
        {"a": [4.0]},
    )
    assert row.retried == 1
    assert row.lost == 1  # Meta gave up on b: lost, whatever the reason


def test_recovery_runs_from_the_fault_to_the_reply_of_the_last_message_sent_during_it() -> None:
    during = phase(
        Sent("before", 0.0),
        Sent("early", 10.5),
        Sent("last", 14.0),
        Sent("after", 20.0),
        fault_at=10.0,
        until=15.0,
    )
    replies = {"before": [1.0], "early": [30.0], "last": [25.0], "after": [21.0]}
    assert recovery_seconds(during, replies) == 15.0
    assert account(during, replies).recovery == 15.0


def test_no_recovery_without_a_fault_or_when_the_last_message_was_never_answered() -> None:
    assert recovery_seconds(phase(Sent("a", 0.0)), {"a": [1.0]}) is None
    unanswered = phase(Sent("a", 11.0), fault_at=10.0, until=12.0)
    assert recovery_seconds(unanswered, {}) is None


def test_reply_times_keep_only_this_phases_customers_on_the_load_clock() -> None:
    messages: list[dict[str, object]] = [
        {"to": "a", "received_unix": 1000.0},
        {"to": "a", "received_unix": 1002.0},
        {"to": "other", "received_unix": 1001.0},
        {"to": "b"},
    ]
    assert reply_times(messages, -900.0, {"a", "b"}) == {"a": [100.0, 102.0]}


def test_a_webhooks_extra_copies_are_not_meta_retries_but_a_503_retry_is() -> None:
    tripled = Posted("a", "wamid.a", 0.0, attempts=3, copies=3, accepted=True)
    retried = Posted("b", "wamid.b", 0.0, attempts=4, copies=3, accepted=True)
    assert tripled.as_sent().attempts == 1
    assert retried.as_sent().attempts == 2
