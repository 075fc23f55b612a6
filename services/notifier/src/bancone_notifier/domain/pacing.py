"""Pacing: how fast one business number may send, and who goes first.

Meta limits each number to its throughput tier (80 messages/s by default; error 130429 above
it) and each (number, customer) pair to about one message every 6 s (131056). Every send —
conversation replies and campaign messages alike — asks the pacer first; conversation replies
have priority: a campaign only uses what replies leave. The pacer is shared by every notifier
replica (see the adapter for how), and backs a number or a pair off when Meta says "too fast".
"""

from __future__ import annotations

from typing import Literal, Protocol

Priority = Literal["reply", "campaign"]


class Ticket(Protocol):
    """A send the pacer let go; told when Meta's answer came (by then Meta has counted it)."""

    def answered(self) -> None: ...


class Pacer(Protocol):
    async def acquire(
        self, phone_number_id: str, recipient: str, priority: Priority
    ) -> Ticket | None:
        """Wait until this number may send one message to `recipient` now (and count it); a
        ticket to tell when the request is answered, if the pacer wants to know."""
        ...

    def back_off(
        self, phone_number_id: str, recipient: str | None, retry_after_seconds: float
    ) -> None:
        """Meta said too fast (130429 for the number, 131056 for the pair when `recipient` is
        given, or 429/5xx with `Retry-After`): nothing more for them until the time passes."""
        ...


class Unpaced:
    """No pacing (a single sender in tests, or a number without limits)."""

    async def acquire(
        self, phone_number_id: str, recipient: str, priority: Priority
    ) -> Ticket | None:
        return None

    def back_off(
        self, phone_number_id: str, recipient: str | None, retry_after_seconds: float
    ) -> None:
        return None


MAX_TIER_PER_SECOND = 1000
"""Meta's highest throughput tier (a number starts at 80/s and is upgraded to 1000/s)."""


class NumberNotFoundError(LookupError):
    """The number is not one of this tenant's channels (or not known here yet)."""


class InvalidTierError(ValueError):
    """A throughput tier outside 1…1000 messages per second."""


def checked_tier(tier_per_second: int | None) -> int | None:
    """A number's own tier: Meta's 80 or 1000, or any whole rate in between or below (a
    number held back on purpose, a sandbox's limit); None falls back to the setting."""
    if tier_per_second is not None and not 1 <= tier_per_second <= MAX_TIER_PER_SECOND:
        raise InvalidTierError(f"a tier is 1 to {MAX_TIER_PER_SECOND} messages per second")
    return tier_per_second
