"""What the notifier reports about our outbound messages, as the agent records it (the
ordering rule is the one in `bancone_contracts.delivery_status`)."""

from __future__ import annotations

from bancone_contracts.delivery_status import delivery_status_advances as advances

__all__ = ["UNDELIVERED_REPLY", "advances", "delivery_error", "undelivered_reply_reason"]

UNDELIVERED_REPLY = "reply not delivered"


def delivery_error(code: object | None, title: str | None) -> str:
    """The failure as the message row keeps it: code and title, at most 500 characters."""
    return " ".join(part for part in (str(code or ""), title) if part)[:500]


def undelivered_reply_reason(sender: str, error: str | None) -> str | None:
    """Why the conversation goes to people when one of our replies failed: the customer may
    be left without an answer. Only the assistant's replies count — an operator sees their
    own failed message in the console. A failure titled "outcome unknown" (the notifier died
    mid-send) is never resent, since a resend could reach the customer twice: a person decides.
    None when nothing needs a person."""
    if sender != "ai":
        return None
    return f"{UNDELIVERED_REPLY}: {error}"[:200] if error else UNDELIVERED_REPLY
