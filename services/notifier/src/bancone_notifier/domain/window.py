"""WhatsApp's 24-hour customer-service window and what may be sent to whom. Pure.

Each customer message opens (or renews) the window for 24 hours; inside it any message may be
sent, outside it only a template. A marketing template never goes to a customer who opted out.
The refusal codes are Meta's own, so a refusal here reads like the one Meta would have sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bancone_notifier.domain.categories import is_marketing

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW_CODE = 131047
OUTSIDE_WINDOW = "outside the 24-hour window, a template is needed"
OPTED_OUT_CODE = 131050
OPTED_OUT = "opted out"


@dataclass(frozen=True, slots=True)
class Refusal:
    code: int
    title: str


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether a free-form message may go out at `now`; a last message "in the future" (clock
    skew between WhatsApp and us) counts as just received."""
    if last_inbound_at is None:
        return False
    return now - last_inbound_at < CUSTOMER_SERVICE_WINDOW


def window_closes_at(last_inbound_at: datetime) -> datetime:
    return last_inbound_at + CUSTOMER_SERVICE_WINDOW


def refusal(
    content_kind: str,
    category: str | None,
    *,
    in_window: bool,
    opted_out: bool,
    enforce_window: bool = True,
) -> Refusal | None:
    """Why this message must not be sent, if it must not."""
    if opted_out and is_marketing(content_kind, category):
        return Refusal(OPTED_OUT_CODE, OPTED_OUT)
    if enforce_window and content_kind != "template" and not in_window:
        return Refusal(OUTSIDE_WINDOW_CODE, OUTSIDE_WINDOW)
    return None
