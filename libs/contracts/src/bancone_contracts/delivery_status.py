"""The one ordering rule of an outbound message's delivery status, for every service.

WhatsApp statuses arrive unordered and may skip steps, so a status only moves a message
forward: requested/sending/unknown < accepted < sent < delivered < read (`played`, a voice
message listened to, counts as read).

`failed` semantics: a failure moves a message that has not yet been shown to have arrived
(anything before `delivered`) to `failed`, and `failed` is terminal — no later status revives
it. Once `delivered` or `read` is known the message provably reached the customer, so a late
`failed` is recorded but does not move the message.
"""

from __future__ import annotations

from typing import Final

DELIVERY_RANK: Final[dict[str, int]] = {
    "requested": 0,
    "sending": 0,
    "unknown": 0,
    "accepted": 1,
    "sent": 2,
    "delivered": 3,
    "read": 4,
    "played": 4,
}
"""Progress of the non-failed states; equal ranks (`read`, `played`) do not move each other."""

ARRIVED: Final = frozenset({"delivered", "read", "played"})
"""States that prove the message reached the customer."""


def delivery_status_advances(current: str | None, new: str) -> bool:
    """Whether status `new` moves a message whose status is `current` (None: just requested).

    Plain strings (database columns, event fields); an unknown value never moves anything.
    """
    current = current or "requested"
    if current == "failed" or current not in DELIVERY_RANK:
        return False
    if new == "failed":
        return current not in ARRIVED
    if new not in DELIVERY_RANK:
        return False
    return DELIVERY_RANK[new] > DELIVERY_RANK[current]
