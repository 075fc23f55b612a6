"""What one unauthenticated webhook POST may ask of the gateway before its signature is known.

The body is parsed before any secret can be looked up (the phone number ids say whose app
secret signs it), so the number of entries and of distinct numbers is capped first: a forged
body cannot make one request cost hundreds of channel lookups.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_ENTRIES = 1000
DEFAULT_MAX_PHONE_NUMBER_IDS = 50
MAX_LOGGED_UNKNOWN_IDS = 10
"""An unknown-number log line names at most this many ids (the counter counts them all)."""


@dataclass(frozen=True)
class WebhookLimits:
    max_entries: int = DEFAULT_MAX_ENTRIES
    max_phone_number_ids: int = DEFAULT_MAX_PHONE_NUMBER_IDS


def over_limit(entries: int, phone_number_ids: int, limits: WebhookLimits) -> str | None:
    """Why a POST is refused before any lookup, or None when it is within the limits."""
    if entries > limits.max_entries:
        return f"more than {limits.max_entries} entries"
    if phone_number_ids > limits.max_phone_number_ids:
        return f"more than {limits.max_phone_number_ids} distinct phone number ids"
    return None
