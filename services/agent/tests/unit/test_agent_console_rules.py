"""The pure rules behind the console's APIs: the 24-hour window, who may take over, reply
text limits, delivery labels, configuration validation and diffs, the write-only LLM key,
the setup assistant's drafting and the per-day usage series."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bancone_agent.domain.config import AgentConfig, LlmOverride
from bancone_agent.domain.config_changes import (
    InvalidConfigError,
    StaleVersionError,
    changes,
    check_base,
    public,
    validated,
    with_write_only_key,
)
from bancone_agent.domain.onboarding import draft, parse_hours, read_setup_reply
from bancone_agent.domain.operators import (
    ConversationTakenError,
    EmptyTextError,
    check_takeover,
    check_text,
    delivery_label,
    window_open,
)
from bancone_agent.domain.usage import BadRangeError, TurnFacts, check_range, daily_series

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_the_window_closes_24_hours_after_the_customers_last_message() -> None:
    assert window_open(NOW - timedelta(hours=23, minutes=59), NOW)
    assert not window_open(NOW - timedelta(hours=24), NOW)
    assert not window_open(None, NOW)


def test_only_another_holder_blocks_a_takeover() -> None:
    check_takeover("human", "anna", "anna")
    check_takeover("waiting_for_human", None, "anna")
    check_takeover("human", None, "anna")
    with pytest.raises(ConversationTakenError) as taken:
        check_takeover("human", "bruno", "anna")
    assert taken.value.holder == "bruno"


def test_reply_text_is_stripped_and_bounded() -> None:
    assert check_text("  ciao \n") == "ciao"
    for bad in ("", " \n\t", "x" * 4097):
        with pytest.raises(EmptyTextError):
            check_text(bad)


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("requested", "queued"),
        ("accepted", "queued"),
        ("sent", "sent"),
        ("played", "read"),
        ("failed", "failed"),
        (None, None),
    ],
)
def test_delivery_statuses_map_to_the_consoles_five(status: str | None, label: str | None) -> None:
    assert delivery_label(status) == label


def test_validation_names_every_bad_field() -> None:
    with pytest.raises(InvalidConfigError) as bad:
        validated({"temperature": 9, "escalation": {"max_failed_turns": 0, "typo": 1}})
    fields = {e.field for e in bad.value.errors}
    assert fields == {
        "config.escalation.typo",
        "config.temperature",
        "config.escalation.max_failed_turns",
    }


def test_the_llm_key_is_kept_replaced_or_removed_and_never_shown() -> None:
    kept = with_write_only_key({"llm": {"model": "m", "api_key_set": True}}, "sk-old")
    assert kept["llm"] == {"model": "m", "api_key": "sk-old"}
    assert (
        with_write_only_key({"llm": {"api_key": "sk-new"}}, "sk-old")["llm"]["api_key"] == "sk-new"
    )
    assert with_write_only_key({"llm": {"api_key": ""}}, "sk-old")["llm"]["api_key"] is None
    shown = public(AgentConfig(llm=LlmOverride(api_key="sk-old")))  # type: ignore[arg-type]
    assert shown["llm"]["api_key_set"] is True
    assert "api_key" not in shown["llm"]


def test_a_stale_base_is_refused_and_diffs_name_leaf_fields() -> None:
    check_base(3, 3)
    with pytest.raises(StaleVersionError):
        check_base(2, 3)
    old = public(AgentConfig(shop_name="A"))
    new = public(AgentConfig(shop_name="B", escalation={"keywords": ("umano",)}))  # type: ignore[arg-type]
    assert changes(old, new) == [
        ("escalation.keywords", [], ["umano"]),
        ("shop_name", "A", "B"),
    ]


def test_opening_hours_are_read_from_a_sentence() -> None:
    assert parse_hours("mar-dom 10-20") == {str(d): [["10:00", "20:00"]] for d in range(2, 8)}
    assert parse_hours("9.30 - 12.30")["6"] == [["09:30", "12:30"]]
    assert parse_hours("sempre aperti") == {}


def test_the_draft_lays_the_answers_over_the_current_config() -> None:
    base = public(AgentConfig(shop_name="Enoteca"))
    config, faqs = draft(
        {"sell": "Vini", "hours": "lun-ven 9-18", "shipping": "48 ore", "tone": "formale"},
        base,
        "it",
    )
    assert config["shop_name"] == "Enoteca"
    assert config["business_context"] == "Vendiamo: Vini\nOrari: lun-ven 9-18\nSpedizioni: 48 ore"
    assert "formal" in config["persona"]
    assert sorted(config["opening_hours"]["days"]) == ["1", "2", "3", "4", "5"]
    assert [f["key"] for f in faqs] == ["setup-hours", "setup-shipping"]
    validated(with_write_only_key(config, None))


def test_the_setup_llm_ends_with_its_answers_as_json() -> None:
    assert read_setup_reply("Cosa vendete?").message == "Cosa vendete?"
    done = read_setup_reply('```json\n{"answers": {"sell": "vini", "tone": null}}\n```')
    assert (done.message, done.answers) == (None, {"sell": "vini"})


def test_the_daily_series_has_every_day_and_splits_conversations() -> None:
    day = date(2026, 12, 5)
    facts = [
        TurnFacts(day, "c1", "answered", 10, Decimal("0.1")),
        TurnFacts(day, "c1", "answered", 10, Decimal("0.1")),
        TurnFacts(day, "c2", "escalated", 0, Decimal("0")),
        TurnFacts(day, "c2", "muted", 0, Decimal("0")),
        TurnFacts(day, "c3", "muted", 0, Decimal("0")),
    ]
    quiet, busy = daily_series(date(2026, 12, 4), day, facts)
    assert (quiet.conversations, quiet.turns) == (0, 0)
    assert (busy.conversations, busy.auto_answered, busy.handed_off) == (2, 1, 1)
    assert (busy.turns, busy.total_tokens, busy.estimated_cost) == (5, 20, Decimal("0.2"))
    with pytest.raises(BadRangeError):
        check_range(day, date(2026, 12, 1))
