"""What the notifier reports about our outbound messages, as the agent records it (the
ordering rule is the one in `bancone_contracts.delivery_status`)."""

from __future__ import annotations

from bancone_contracts.delivery_status import delivery_status_advances as advances

__all__ = [
    "OUTSIDE_WINDOW_CODE",
    "UNDELIVERED_REPLY",
    "advances",
    "delivery_error",
    "needs_template",
    "undelivered_reply_reason",
]

UNDELIVERED_REPLY = "reply not delivered"
OUTSIDE_WINDOW_CODE = 131047
"""WhatsApp's (and the notifier's own) refusal of a free-form message once the customer's
24-hour window has closed: only a template may be sent."""


def delivery_error(code: object | None, title: str | None) -> str:
    """The failure as the message row keeps it: code and title, at most 500 characters."""
    return " ".join(part for part in (str(code or ""), title) if part)[:500]


def needs_template(status: str | None, error: str | None) -> bool:
    """Whether a message failed because the 24-hour window was closed (its error, as
    `delivery_error` keeps it, starts with code 131047)."""
    return status == "failed" and (error or "").split(" ", 1)[0] == str(OUTSIDE_WINDOW_CODE)


def undelivered_reply_reason(sender: str, error: str | None) -> str | None:
    """Why the conversation goes to people when one of our replies failed: the customer may
    be left without an answer. Only the assistant's replies count — an operator sees their
    own failed message in the console. A failure titled "outcome unknown" (the notifier died
    mid-send) is never resent, since a resend could reach the customer twice: a person decides.
    None when nothing needs a person."""
    if sender != "ai":
        return None
    return f"{UNDELIVERED_REPLY}: {error}"[:200] if error else UNDELIVERED_REPLY
