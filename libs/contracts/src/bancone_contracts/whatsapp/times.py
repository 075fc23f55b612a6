"""WhatsApp timestamps (unix seconds, usually as strings) read safely."""

from __future__ import annotations

from datetime import UTC, datetime


def unix_time(value: str | int) -> datetime:
    """A WhatsApp timestamp as a UTC datetime; ``ValueError`` when it is not a usable one.

    Non-numeric text, and numbers past what a datetime holds (``OverflowError``/``OSError``
    from the platform's C library), both become ``ValueError``: the item is set aside, the
    request never fails.
    """
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"not a unix timestamp: {str(value)[:40]!r}") from exc


def optional_unix_time(value: str | int | None) -> datetime | None:
    """A secondary timestamp (an expiry, an identity's creation): None when absent or unusable."""
    if value is None:
        return None
    try:
        return unix_time(value)
    except ValueError:
        return None
