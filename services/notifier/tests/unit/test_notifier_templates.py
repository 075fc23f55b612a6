"""Templates: what a new one must look like, and whether a send's parameters fill it in."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bancone_contracts.events.outbound import TemplateComponent, TemplateParameter
from bancone_notifier.domain.templates import (
    DISABLED_CODE,
    PARAMETERS_CODE,
    PAUSED_CODE,
    UNKNOWN_CODE,
    InvalidTemplateError,
    check_new_template,
    expected_parameters,
    parameter_mismatch,
    send_refusal,
)

pytestmark = pytest.mark.unit

BODY = {
    "type": "BODY",
    "text": "Ciao {{1}}, il {{2}} costa {{2}} fino a domenica",
    "example": {"body_text": [["Giulia", "Barbera"]]},
}
HEADER = {
    "type": "HEADER",
    "format": "TEXT",
    "text": "Offerta {{1}}",
    "example": {"header_text": ["Barbera"]},
}
BUTTONS = {
    "type": "BUTTONS",
    "buttons": [
        {"type": "QUICK_REPLY", "text": "Stop"},
        {
            "type": "URL",
            "text": "Vedi",
            "url": "https://shop.example/p/{{1}}",
            "example": ["https://shop.example/p/1"],
        },
    ],
}
FULL: list[dict[str, Any]] = [HEADER, BODY, {"type": "FOOTER", "text": "Enoteca"}, BUTTONS]


def text(*values: str) -> tuple[TemplateParameter, ...]:
    return tuple(TemplateParameter(value=v) for v in values)


def filled(
    header: int = 1, body: int = 2, url: int | None = 1, quick: int | None = None
) -> list[TemplateComponent]:
    sent = [
        TemplateComponent(type="header", parameters=text(*["x"] * header)),
        TemplateComponent(type="body", parameters=text(*["y"] * body)),
    ]
    if url is not None:
        sent.append(
            TemplateComponent(type="button", sub_type="url", index=1, parameters=text(*["1"] * url))
        )
    if quick is not None:
        sent.append(
            TemplateComponent(
                type="button",
                sub_type="quick_reply",
                index=0,
                parameters=tuple(
                    TemplateParameter(type="payload", value="p") for _ in range(quick)
                ),
            )
        )
    return sent


def test_a_well_formed_template_passes() -> None:
    check_new_template("new_offer", "it", FULL)
    check_new_template("order_ready", "en_US", [{"type": "BODY", "text": "Ready."}])


@pytest.mark.parametrize(
    ("name", "language", "components", "complaint"),
    [
        ("New Offer", "it", [BODY], "name"),
        ("new_offer", "italiano", [BODY], "language"),
        ("new_offer", "it", [HEADER], "body: required"),
        ("new_offer", "it", [BODY, BODY], "given twice"),
        (
            "x",
            "it",
            [{"type": "BODY", "text": "Ciao {{1}} {{3}}", "example": {"body_text": [["a", "b"]]}}],
            "{{1}} to {{2}}",
        ),
        ("x", "it", [{"type": "BODY", "text": "Ciao {{name}}"}], "numbered"),
        ("x", "it", [{"type": "BODY", "text": "Ciao {{1}}"}], "1 example value(s) needed, 0 given"),
        (
            "x",
            "it",
            [{"type": "BODY", "text": "Ciao {{1}}", "example": {"body_text": [["a", "b"]]}}],
            "2 given",
        ),
        ("x", "it", [BODY, {"type": "FOOTER", "text": "{{1}}"}], "footer"),
        ("x", "it", [BODY, {"type": "HEADER", "format": "TEXT", "text": "{{1}}"}], "header"),
        (
            "x",
            "it",
            [BODY, {"type": "BUTTONS", "buttons": [{"type": "URL", "url": "https://a/{{1}}"}]}],
            "example url",
        ),
        ("x", "it", [BODY, {"type": "CAROUSEL"}], "unknown component"),
    ],
)
def test_what_meta_would_refuse_is_refused_before_any_call(
    name: str, language: str, components: list[dict[str, Any]], complaint: str
) -> None:
    with pytest.raises(InvalidTemplateError, match=re.escape(complaint)):
        check_new_template(name, language, components)


def test_expected_parameters_count_distinct_variables_per_slot() -> None:
    slots = expected_parameters(FULL)
    assert {slot: want.count for slot, want in slots.items()} == {
        ("header", None): 1,
        ("body", None): 2,  # {{2}} twice is one parameter
        ("button", 0): 1,
        ("button", 1): 1,
    }
    assert slots["button", 0].optional  # a quick reply's payload may be left out


def test_a_send_that_fills_every_slot_matches() -> None:
    assert parameter_mismatch(FULL, filled()) is None
    assert parameter_mismatch(FULL, filled(quick=1)) is None


@pytest.mark.parametrize(
    ("sent", "complaint"),
    [
        (filled(body=1), "body needs 2 parameter(s), got 1"),
        (filled(body=3), "body needs 2 parameter(s), got 3"),
        (filled(header=0), "header needs 1 parameter(s), got 0"),
        (filled(url=None), "button 1 needs 1 parameter(s), got none"),
        (filled(quick=2), "button 0 needs 1 parameter(s), got 2"),
        (
            [
                *filled(),
                TemplateComponent(type="button", sub_type="url", index=5, parameters=text("x")),
            ],
            "button 5 takes no parameters, got 1",
        ),
    ],
)
def test_missing_or_extra_parameters_are_named(
    sent: list[TemplateComponent], complaint: str
) -> None:
    mismatch = parameter_mismatch(FULL, sent)
    assert mismatch is not None
    assert complaint in mismatch


def test_a_body_without_variables_takes_no_parameters() -> None:
    stored = [{"type": "BODY", "text": "Il tuo ordine è pronto."}]
    assert parameter_mismatch(stored, []) is None
    assert parameter_mismatch(stored, [TemplateComponent(type="body", parameters=text("x"))]) == (
        "body takes no parameters, got 1"
    )


def test_a_media_header_needs_its_media() -> None:
    stored = [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Guarda!"}]
    image = TemplateParameter(type="image", value="https://cdn.example/a.jpg")
    assert (
        parameter_mismatch(stored, [TemplateComponent(type="header", parameters=(image,))]) is None
    )
    wrong = parameter_mismatch(stored, [TemplateComponent(type="header", parameters=text("x"))])
    assert wrong == "header needs an image"


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (None, UNKNOWN_CODE, "does not exist"),
        ("PENDING", UNKNOWN_CODE, "PENDING, not approved"),
        ("REJECTED", UNKNOWN_CODE, "REJECTED, not approved"),
        ("PAUSED", PAUSED_CODE, "paused"),
        ("DISABLED", DISABLED_CODE, "disabled"),
    ],
)
def test_only_an_approved_template_is_sent(status: str | None, code: int, words: str) -> None:
    stored = FULL if status is not None else None
    refusal = send_refusal("new_offer", "it", status, stored, filled())
    assert refusal is not None
    assert refusal.code == code
    assert words in refusal.title
    assert "new_offer (it)" in refusal.title


def test_an_approved_template_with_wrong_parameters_is_refused_with_the_reason() -> None:
    assert send_refusal("new_offer", "it", "APPROVED", FULL, filled()) is None
    refusal = send_refusal("new_offer", "it", "APPROVED", FULL, filled(body=1))
    assert refusal is not None
    assert refusal.code == PARAMETERS_CODE
    assert refusal.title == (
        "template new_offer (it) parameters do not match: body needs 2 parameter(s), got 1"
    )
