"""What the notifier reports about our outbound messages, as the agent records it (the
ordering rule is the one in `bancone_contracts.delivery_status`)."""

from __future__ import annotations

from bancone_contracts.delivery_status import delivery_status_advances as advances

__all__ = ["advances", "delivery_error"]


def delivery_error(code: object | None, title: str | None) -> str:
    """The failure as the message row keeps it: code and title, at most 500 characters."""
    return " ".join(part for part in (str(code or ""), title) if part)[:500]
