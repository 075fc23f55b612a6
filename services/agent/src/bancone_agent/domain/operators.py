"""The rules of what operators do in a conversation: who may take it, when a free-form reply
may still be sent (WhatsApp's 24-hour customer-service window), what a reply may hold.
Plain values and exceptions; the HTTP error table maps the exceptions to problems."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from bancone_agent.domain.conversation import ConversationState

SERVICE_WINDOW: Final = timedelta(hours=24)
"""After the customer's last message, free-form messages may be sent this long; after it,
only an approved template."""
REPLY_MAX: Final = 4096
"""WhatsApp's limit on a text body (`bancone_contracts.events.outbound.TEXT_BODY_MAX`)."""
PREVIEW_CHARS: Final = 120


class ConversationNotFoundError(LookupError):
    """No such conversation in this tenant (another tenant's is answered the same)."""


class ConversationTakenError(Exception):
    """Another operator already holds the conversation."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"the conversation is held by operator {holder!r}")
        self.holder = holder


class ConversationResolvedError(Exception):
    """The conversation is resolved: reopen it before writing in it."""


class TemplateNeededError(Exception):
    """The 24-hour window is closed: only an approved template may be sent now."""

    def __init__(self, last_inbound_at: datetime | None) -> None:
        when = last_inbound_at.isoformat() if last_inbound_at else "never"
        super().__init__(
            "the customer's last message is older than 24 hours "
            f"(last: {when}); a free-form reply needs an approved template"
        )
        self.last_inbound_at = last_inbound_at


class EmptyTextError(ValueError):
    """A reply or a note with no text, or with more than WhatsApp takes."""


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether a free-form message may be sent now (the customer wrote in the last 24 h)."""
    return last_inbound_at is not None and now - last_inbound_at < SERVICE_WINDOW


def check_text(text: str) -> str:
    """The text to send, stripped; refused when empty or too long."""
    body = text.strip()
    if not body:
        raise EmptyTextError("the text is empty")
    if len(body) > REPLY_MAX:
        raise EmptyTextError(f"the text has {len(body)} characters; at most {REPLY_MAX}")
    return body


def check_takeover(state: ConversationState | str, holder: str | None, operator: str) -> None:
    """Refuse a takeover of a conversation another operator holds (the first one wins)."""
    if ConversationState(state) is ConversationState.HUMAN and holder not in (None, operator):
        raise ConversationTakenError(holder)


def check_writable(state: ConversationState | str) -> None:
    if ConversationState(state) is ConversationState.RESOLVED:
        raise ConversationResolvedError("the conversation is resolved; reopen it first")


def preview(text: str | None) -> str | None:
    """A message's text cut for a list row."""
    if text is None:
        return None
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def delivery_label(status: str | None) -> str | None:
    """The console's five delivery states from the notifier's finer ones."""
    if status is None:
        return None
    if status == "failed":
        return "failed"
    if status in ("read", "played"):
        return "read"
    if status in ("sent", "delivered"):
        return status
    return "queued"
