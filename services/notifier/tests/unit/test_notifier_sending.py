"""Graph API answers are read by error code, and only what may succeed later is retried."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters.graph import Paced, outcome_of, send_with_retries
from bancone_notifier.domain.pacing import Priority
from bancone_notifier.domain.sending import (
    Accepted,
    GraphError,
    NotSent,
    Rejected,
    SendOutcome,
    Unknown,
    is_retryable,
)

pytestmark = pytest.mark.unit

NO_WAIT = RetryPolicy(attempts=4, initial_delay=0.0, max_delay=0.0)


def graph_error_response(
    status: int, code: int, message: str = "x", **headers: str
) -> httpx.Response:
    body = {"error": {"message": f"(#{code}) {message}", "type": "OAuthException", "code": code}}
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


@pytest.mark.parametrize("code", [130429, 131056, 4, 80007, 131057, 1, 2, 131000, 131016])
def test_transient_codes_are_retried_whatever_the_http_status(code: int) -> None:
    assert is_retryable(GraphError(http_status=400, code=code))


@pytest.mark.parametrize(
    "code",
    [131047, 131026, 131051, 131048, 131049, 131050, 131008, 131009, 132000, 132018, 190, 368],
)
def test_permanent_codes_are_not_retried_even_with_a_5xx(code: int) -> None:
    assert not is_retryable(GraphError(http_status=500, code=code))


@pytest.mark.parametrize(
    ("status", "expected"), [(429, True), (500, True), (503, True), (400, False), (404, False)]
)
def test_an_unlisted_code_falls_back_to_the_http_status(status: int, expected: bool) -> None:
    assert is_retryable(GraphError(http_status=status, code=100)) is expected
    assert is_retryable(GraphError(http_status=status)) is expected


def test_a_success_answer_yields_the_wamid() -> None:
    body = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "39", "wa_id": "39"}],
        "messages": [{"id": "wamid.OUT1"}],
    }

    assert outcome_of(httpx.Response(200, json=body)) == Accepted("wamid.OUT1")


def test_a_success_answer_without_a_wamid_is_an_unknown_outcome() -> None:
    assert isinstance(outcome_of(httpx.Response(200, json={"ok": True})), Unknown)
    assert isinstance(outcome_of(httpx.Response(200, content=b"<html>")), Unknown)


def test_an_error_answer_gives_code_subcode_and_title_without_the_code_prefix() -> None:
    body = {
        "error": {
            "message": "(#131047) Re-engagement message",
            "code": 131047,
            "error_subcode": 2494010,
            "fbtrace_id": "Ax",
        }
    }

    outcome = outcome_of(httpx.Response(400, json=body))

    assert outcome == Rejected(
        GraphError(400, code=131047, subcode=2494010, title="Re-engagement message")
    )


def test_retry_after_is_read_and_a_non_json_error_keeps_its_status() -> None:
    outcome = outcome_of(
        httpx.Response(503, content=b"Service Unavailable", headers={"Retry-After": "2"})
    )

    assert outcome == Rejected(GraphError(503, retry_after_seconds=2.0))


class ScriptedSend:
    """Returns the given outcomes in turn and counts the calls."""

    def __init__(self, *outcomes: SendOutcome) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def __call__(self) -> SendOutcome:
        self.calls += 1
        return self.outcomes.pop(0)


async def test_a_rate_limit_then_success_is_one_accepted_send_after_two_attempts() -> None:
    send = ScriptedSend(Rejected(GraphError(429, code=130429)), Accepted("wamid.1"))

    report = await send_with_retries(send, NO_WAIT)

    assert report.outcome == Accepted("wamid.1")
    assert report.attempts == 2
    assert not report.exhausted


async def test_a_permanent_error_is_not_retried() -> None:
    send = ScriptedSend(Rejected(GraphError(400, code=131047)), Accepted("never"))

    report = await send_with_retries(send, NO_WAIT)

    assert report.outcome == Rejected(GraphError(400, code=131047))
    assert send.calls == 1


async def test_an_unknown_outcome_is_never_retried() -> None:
    send = ScriptedSend(Unknown("ReadTimeout"), Accepted("never"))

    report = await send_with_retries(send, NO_WAIT)

    assert report.outcome == Unknown("ReadTimeout")
    assert send.calls == 1


async def test_a_connection_refused_is_retried() -> None:
    send = ScriptedSend(NotSent("ConnectError"), Accepted("wamid.2"))

    report = await send_with_retries(send, NO_WAIT)

    assert report.outcome == Accepted("wamid.2")


async def test_retries_stop_at_the_limit_with_the_last_outcome() -> None:
    errors: list[Any] = [Rejected(GraphError(500, code=131000)) for _ in range(5)]
    send = ScriptedSend(*errors)

    report = await send_with_retries(send, NO_WAIT)

    assert send.calls == NO_WAIT.attempts
    assert report.exhausted
    assert report.attempts == NO_WAIT.attempts
    assert report.outcome == Rejected(GraphError(500, code=131000))


class RecordingPacer:
    """Counts acquires and keeps back-offs (the real one is in the service tests)."""

    def __init__(self) -> None:
        self.acquired: list[tuple[str, str, str]] = []
        self.backoffs: list[tuple[str, str | None, float]] = []

    async def acquire(self, phone_number_id: str, recipient: str, priority: Priority) -> None:
        self.acquired.append((phone_number_id, recipient, priority))

    def back_off(
        self, phone_number_id: str, recipient: str | None, retry_after_seconds: float
    ) -> None:
        self.backoffs.append((phone_number_id, recipient, retry_after_seconds))


async def test_every_attempt_waits_for_the_pacer_and_refusals_back_it_off() -> None:
    outcomes: list[SendOutcome] = [
        Rejected(GraphError(429, 130429, retry_after_seconds=2.0)),
        Rejected(GraphError(400, 131056)),
        Rejected(GraphError(503, None, retry_after_seconds=4.0)),
        Accepted("wamid.ok"),
    ]
    pacer = RecordingPacer()

    async def send() -> SendOutcome:
        return outcomes.pop(0)

    paced = Paced(pacer, "1065", "39333", "campaign", pair_backoff_seconds=6.5)
    report = await send_with_retries(send, NO_WAIT, paced)
    assert report.outcome == Accepted("wamid.ok")
    assert pacer.acquired == [("1065", "39333", "campaign")] * 4
    assert pacer.backoffs == [("1065", None, 2.0), ("1065", "39333", 6.5), ("1065", None, 4.0)]


async def test_a_permanent_refusal_does_not_back_the_pacer_off() -> None:
    pacer = RecordingPacer()

    async def send() -> SendOutcome:
        return Rejected(GraphError(400, 131047))

    report = await send_with_retries(send, NO_WAIT, Paced(pacer, "1065", "39333", "reply"))
    assert report.attempts == 1
    assert pacer.acquired == [("1065", "39333", "reply")]
    assert pacer.backoffs == []
