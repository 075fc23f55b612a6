"""What the notifier reports about our outbound messages, as the agent records it."""

from __future__ import annotations

from typing import Final

_PROGRESS: Final = {"requested": 0, "accepted": 1, "sent": 2, "delivered": 3, "read": 4}


def advances(current: str | None, new: str) -> bool:
    """Whether a delivery status moves a message forward: never back from read to sent, and
    a failure counts only before the message was delivered."""
    if current == new:
        return False
    if new == "failed":
        return current not in ("delivered", "read")
    if current == "failed":
        return False
    return _PROGRESS.get(new, -1) > _PROGRESS.get(current or "requested", 0)


def delivery_error(code: object | None, title: str | None) -> str:
    """The failure as the message row keeps it: code and title, at most 500 characters."""
    return " ".join(part for part in (str(code or ""), title) if part)[:500]
