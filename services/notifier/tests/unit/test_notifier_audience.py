"""Who a campaign reaches: opted-in customers only, filtered by language, last contact, tags
and interests; listed customers without consent are skipped with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bancone_notifier.domain.audience import Candidate, Segment, select

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ANNA = Candidate(
    "391",
    "opted_in",
    "it",
    "Anna",
    NOW - timedelta(days=2),
    tags=frozenset({"vip"}),
    bought=frozenset({"vino-rosso"}),
)
BOB = Candidate(
    "392", "opted_in", "en", "Bob", NOW - timedelta(days=40), asked=frozenset({"vino-rosso"})
)
CARLA = Candidate(
    "393",
    "opted_out",
    "it",
    "Carla",
    NOW - timedelta(days=1),
    tags=frozenset({"vip"}),
    bought=frozenset({"vino-rosso"}),
)
DINO = Candidate("394", None, "it", "Dino", NOW - timedelta(hours=1))
EVA = Candidate("395", "opted_in", None, None, None)
EVERYONE = (ANNA, BOB, CARLA, DINO, EVA)


def receivers(segment: Segment) -> list[str]:
    return [s.candidate.customer_id for s in select(EVERYONE, segment, NOW) if not s.skip_reason]


def test_the_whole_segment_is_every_opted_in_customer_and_nobody_else() -> None:
    chosen = select(EVERYONE, Segment(), NOW)
    assert [s.candidate.customer_id for s in chosen] == ["391", "392", "395"]
    assert all(s.skip_reason is None for s in chosen)


def test_a_language_filter_keeps_only_customers_known_to_speak_it() -> None:
    assert receivers(Segment(languages=frozenset({"it"}))) == ["391"]


def test_last_contact_keeps_customers_who_wrote_within_the_days() -> None:
    assert receivers(Segment(contacted_within_days=30)) == ["391"]
    assert receivers(Segment(contacted_within_days=60)) == ["391", "392"]


def test_listed_customers_without_consent_are_skipped_with_the_reason() -> None:
    chosen = select(EVERYONE, Segment(customers=("393", "391", "394", "999", "391")), NOW)
    reasons = {s.candidate.customer_id: s.skip_reason for s in chosen}
    assert reasons == {
        "391": None,
        "393": "opted out",
        "394": "no opt-in recorded",
        "999": "no opt-in recorded",
    }


def test_filters_combine() -> None:
    assert receivers(Segment(languages=frozenset({"en"}), contacted_within_days=30)) == []


def test_tags_and_interests_match_any_of_their_values() -> None:
    assert receivers(Segment(tags=frozenset({"vip", "wholesale"}))) == ["391"]
    assert receivers(Segment(bought_categories=frozenset({"olio", "vino-rosso"}))) == ["391"]
    assert receivers(Segment(asked_categories=frozenset({"vino-rosso"}))) == ["392"]
    assert receivers(Segment(tags=frozenset({"nobody"}))) == []


def test_tags_and_interests_combine_with_the_other_filters() -> None:
    assert receivers(Segment(tags=frozenset({"vip"}), languages=frozenset({"en"}))) == []
    both = Segment(tags=frozenset({"vip"}), bought_categories=frozenset({"vino-rosso"}))
    assert receivers(both) == ["391"]
    assert (
        receivers(
            Segment(
                bought_categories=frozenset({"vino-rosso"}),
                asked_categories=frozenset({"vino-rosso"}),
            )
        )
        == []
    )


def test_an_opted_out_customer_with_the_tag_is_only_ever_skipped() -> None:
    chosen = select(EVERYONE, Segment(customers=("393",), tags=frozenset({"vip"})), NOW)
    assert [(s.candidate.customer_id, s.skip_reason) for s in chosen] == [("393", "opted out")]


def test_a_segment_that_can_never_match_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Segment(contacted_within_days=0)
    with pytest.raises(ValueError, match="list someone"):
        Segment(customers=())
    with pytest.raises(ValueError, match="tags, when given"):
        Segment(tags=frozenset())
    with pytest.raises(ValueError, match="bought_categories, when given"):
        Segment(bought_categories=frozenset())
    with pytest.raises(ValueError, match="asked_categories, when given"):
        Segment(asked_categories=frozenset())
