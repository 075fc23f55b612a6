"""Replies of every type print readably in the terminal."""

from __future__ import annotations

from typing import Any

import pytest

from bancone_cli.chat import render_reply

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"type": "text", "text": {"body": "Ciao!"}}, ["Ciao!"]),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": "Rosso o bianco?"},
                    "action": {
                        "buttons": [{"type": "reply", "reply": {"id": "r", "title": "Rosso"}}]
                    },
                },
            },
            ["Rosso o bianco?", "[Rosso]"],
        ),
        (
            {"type": "image", "image": {"link": "http://x/y.jpg", "caption": "Barolo"}},
            ["[image] Barolo"],
        ),
    ],
    ids=["text", "buttons", "image"],
)
def test_render_reply_shows_each_message_type_readably(
    body: dict[str, Any], shown: list[str]
) -> None:
    rendered = render_reply({"body": body})

    assert all(part in rendered for part in shown)
