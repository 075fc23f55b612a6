"""The minimum strength of an operator password, judged by zxcvbn (Dropbox's estimator).

zxcvbn scores 0-4 from the guesses an attacker would need, knowing common passwords, names,
keyboard patterns and the user's own inputs (email, shop name). We require a score of 3
("safely unguessable", ~10^8+ guesses) and at least 10 characters; 128 characters at most so
hashing cost stays bounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from zxcvbn import zxcvbn

MIN_LENGTH: Final = 10
MAX_LENGTH: Final = 128
MIN_SCORE: Final = 3


class WeakPasswordError(ValueError):
    """The password is too short, too long or too guessable; `str()` says why (never echoes it)."""


def check_password_strength(password: str, user_inputs: Sequence[str] = ()) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"use at most {MAX_LENGTH} characters")
    inputs = [part for value in user_inputs for part in _words(value)]
    result = zxcvbn(password, user_inputs=inputs)
    if int(result["score"]) < MIN_SCORE:
        warning = str(result.get("feedback", {}).get("warning") or "")
        raise WeakPasswordError(
            "the password is too easy to guess" + (f": {warning}" if warning else "")
        )


def _words(value: str) -> list[str]:
    """The user's own inputs and their parts (`ada.rossi@shop.it` → ada, rossi, shop)."""
    parts = [value, *value.split("@")]
    for separator in "@.-_+ ":
        parts = [piece for part in parts for piece in part.split(separator)]
    local = value.split("@")[0]
    return [value, local, *(part for part in parts if len(part) >= 3)]
