"""The delivery lifecycle of one outbound message, from claim to read.

`sending` is committed before the Graph API call (at most once); the call ends in `accepted`
(with a wamid), `failed`, or `unknown` when a restart found the send in flight. Status webhooks
then move an accepted message forward: they arrive unordered and may skip steps, so only a
status that ranks higher moves it (sent < delivered < read; `played` counts as read). `failed`
is terminal: a late `delivered` is recorded but does not revive it; and `read` proves the
message arrived, so a `failed` after it is recorded only.
"""

from __future__ import annotations

from typing import Literal, get_args

DeliveryState = Literal["sending", "accepted", "sent", "delivered", "read", "failed", "unknown"]
StatusName = Literal["sent", "delivered", "read", "failed", "played"]
Progress = Literal["sent", "delivered", "read", "failed"]
"""States a status can move a message to (each is also a `DeliveryUpdated` status)."""

RANK: dict[str, int] = {
    "sending": 0,
    "unknown": 0,
    "accepted": 0,
    "sent": 1,
    "delivered": 2,
    "read": 3,
}

_STATUSES = frozenset(get_args(StatusName))


def status_state(status: StatusName) -> Progress:
    """The lifecycle state a WhatsApp status stands for."""
    return "read" if status == "played" else status


def apply_status(current: str, status: str) -> Progress | None:
    """The state after `status`, or None when the status is recorded but changes nothing.

    Takes plain strings (database columns); an unknown state or status changes nothing.
    """
    if current == "failed" or current not in RANK or status not in _STATUSES:
        return None
    if status == "failed":
        return None if current == "read" else "failed"
    target = status_state(status)  # type: ignore[arg-type]
    return target if RANK[target] > RANK[current] else None
