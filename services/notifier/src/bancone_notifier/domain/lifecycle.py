"""The delivery lifecycle of one outbound message, from claim to read.

`sending` is committed before the Graph API call (at most once); the call ends in `accepted`
(with a wamid), `failed`, or `unknown` when a restart found the send in flight. Status webhooks
then move an accepted message forward by the one rule every service shares,
`bancone_contracts.delivery_status.delivery_status_advances`: only a status that ranks higher
moves it (sent < delivered < read; `played` counts as read); `failed` is terminal, and a
`failed` after `delivered` or `read` (which prove arrival) is recorded only.
"""

from __future__ import annotations

from typing import Literal, get_args

from bancone_contracts.delivery_status import delivery_status_advances

DeliveryState = Literal["sending", "accepted", "sent", "delivered", "read", "failed", "unknown"]
StatusName = Literal["sent", "delivered", "read", "failed", "played"]
Progress = Literal["sent", "delivered", "read", "failed"]
"""States a status can move a message to (each is also a `DeliveryUpdated` status)."""


def status_state(status: StatusName) -> Progress:
    """The lifecycle state a WhatsApp status stands for."""
    return "read" if status == "played" else status


def apply_status(current: str, status: str) -> Progress | None:
    """The state after `status`, or None when the status is recorded but changes nothing.

    Takes plain strings (database columns); an unknown state or status changes nothing.
    """
    if current not in _STATES or status not in _STATUSES:
        return None
    if not delivery_status_advances(current, status):
        return None
    return status_state(status)  # type: ignore[arg-type]


_STATES = frozenset(get_args(DeliveryState))
_STATUSES = frozenset(get_args(StatusName))
