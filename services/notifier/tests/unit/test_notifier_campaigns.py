"""Campaign rules without I/O: the state machine, the schedule, template variables and their
per-recipient rendering, progress buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bancone_notifier.domain.campaigns import (
    CampaignError,
    CampaignStateError,
    MissingFieldError,
    Progress,
    TemplateSpec,
    Variable,
    bucket,
    check_send_at,
    check_template,
    next_state,
    render,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def spec(*variables: Variable, placeholders: int | None = None) -> TemplateSpec:
    return TemplateSpec("new_offer", "it", "marketing", variables, placeholders)


def test_a_campaign_runs_from_draft_to_completed_with_a_pause_in_between() -> None:
    state = next_state("draft", "schedule")
    state = next_state(state, "start")
    state = next_state(state, "pause")
    state = next_state(state, "resume", started=True)
    assert (state, next_state(state, "complete")) == ("running", "completed")


def test_a_campaign_paused_before_it_started_resumes_as_scheduled() -> None:
    assert next_state(next_state("scheduled", "pause"), "resume", started=False) == "scheduled"


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        ("running", "resume", "not paused"),
        ("scheduled", "resume", "not paused"),
        ("completed", "cancel", "already completed"),
        ("cancelled", "cancel", "already cancelled"),
        ("cancelled", "resume", "already cancelled"),
        ("draft", "pause", "cannot pause"),
        ("running", "schedule", "cannot schedule"),
    ],
)
def test_an_action_the_state_does_not_allow_is_refused_with_the_reason(
    state: str, action: str, message: str
) -> None:
    with pytest.raises(CampaignStateError, match=message):
        next_state(state, action)  # type: ignore[arg-type]


def test_resuming_twice_is_refused_the_second_time() -> None:
    once = next_state("paused", "resume", started=True)
    with pytest.raises(CampaignStateError, match="not paused"):
        next_state(once, "resume", started=True)


def test_a_schedule_in_the_past_or_without_a_time_zone_is_refused_and_none_means_now() -> None:
    assert check_send_at(None, NOW) == NOW
    assert check_send_at(NOW + timedelta(hours=1), NOW) == NOW + timedelta(hours=1)
    with pytest.raises(CampaignError, match="in the past"):
        check_send_at(NOW - timedelta(seconds=1), NOW)
    with pytest.raises(CampaignError, match="time zone"):
        check_send_at(datetime(2026, 12, 24, 9, 0), NOW)


def test_variables_render_fixed_values_and_customer_fields_in_order() -> None:
    variables = (Variable(field="name", fallback="cliente"), Variable(value="-20%"))
    assert render(variables, {"name": "Giulia"}) == ("Giulia", "-20%")
    assert render(variables, {"name": "  "}) == ("cliente", "-20%")


def test_a_customer_without_a_field_and_no_fallback_cannot_be_rendered() -> None:
    with pytest.raises(MissingFieldError, match="no name for variable"):
        render((Variable(field="name"),), {"name": None})


@pytest.mark.parametrize(
    ("variables", "placeholders", "message"),
    [
        ((Variable(value="a"),), 2, "missing variables"),
        ((Variable(value="a"), Variable(value="b")), 1, "extra variables"),
        ((Variable(),), None, "exactly one of value or field"),
        ((Variable(value="a", field="name"),), None, "exactly one of value or field"),
        ((Variable(value=" "),), None, "empty value"),
        ((Variable(field="birthday"),), None, "unknown customer field"),
    ],
)
def test_variables_that_cannot_match_the_template_are_refused(
    variables: tuple[Variable, ...], placeholders: int | None, message: str
) -> None:
    with pytest.raises(CampaignError, match=message):
        check_template(spec(*variables, placeholders=placeholders))


def test_a_matching_variable_count_passes() -> None:
    check_template(spec(Variable(field="name"), Variable(value="x"), placeholders=2))


@pytest.mark.parametrize(
    ("recipient", "outbound", "code", "expected"),
    [
        ("skipped", None, None, "skipped"),
        ("queued", None, None, "queued"),
        ("claimed", None, None, "queued"),
        ("claimed", "sending", None, "sending"),
        ("done", "accepted", None, "sent"),
        ("done", "delivered", None, "delivered"),
        ("done", "read", None, "read"),
        ("done", "unknown", None, "unknown"),
        ("done", "failed", 131050, "skipped"),
        ("done", "failed", 131026, "failed"),
    ],
)
def test_each_recipient_is_counted_once_at_its_furthest_step(
    recipient: str, outbound: str | None, code: int | None, expected: str
) -> None:
    assert bucket(recipient, outbound, code) == expected


def test_progress_adds_up_and_keeps_reasons() -> None:
    progress = Progress()
    progress.add("sent", 3)
    progress.add("skipped", 1, "opted out")
    progress.add("failed", 2, "131026 undeliverable")
    assert progress.total == 6
    assert progress.counts is not None
    assert progress.counts["sent"] == 3
    assert progress.skipped == {"opted out": 1}
    assert progress.failed == {"131026 undeliverable": 2}


def test_recipients_waiting_for_a_retry_are_counted_by_failed_attempts_with_the_first_try() -> None:
    later = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    sooner = later - timedelta(minutes=2)
    progress = Progress()
    progress.add_retrying(2, 1, later)
    progress.add_retrying(1, 3, sooner)
    progress.add_retrying(1, 1, None)
    assert progress.retrying == {1: 4, 2: 1}
    assert progress.next_retry_at == sooner
    assert progress.total == 0, "they are already counted in `queued`"
