"""Replaying a webhook item set aside: the webhook body it would have come in alone.

An item is stored without its neighbours (raw message, status, owner echo or preference, or
a whole change value); to validate it again it is wrapped back into the smallest webhook of
Meta's shape that carries it, routed by the number (or business account) it was sent for,
and normalised by the same code as a live POST. Contacts of the original change are not
kept, so a replayed message has no profile name.
"""

from __future__ import annotations

from typing import Any, Final

from bancone_contracts.whatsapp.normalise import MESSAGES_FIELD, WEBHOOK_OBJECT
from bancone_contracts.whatsapp.updates import ECHOES_FIELD, PREFERENCES_FIELD

ITEM_LISTS: Final = {
    (MESSAGES_FIELD, "message"): "messages",
    (MESSAGES_FIELD, "status"): "statuses",
    (ECHOES_FIELD, "update"): "message_echoes",
    (PREFERENCES_FIELD, "update"): "user_preferences",
}
"""Where in a change's value an item of (field, kind) sits."""


class RejectedItemNotFoundError(Exception):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"no rejected webhook item {item_id}")


class RejectedItemAlreadyReplayedError(Exception):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"rejected webhook item {item_id} was already replayed and published")


def webhook_of_item(
    field: str, kind: str, raw: Any, waba_id: str, phone_number_id: str | None
) -> dict[str, Any]:
    """The one-item webhook body (as JSON data) that carries `raw`."""
    items = ITEM_LISTS.get((field, kind))
    if items is None or phone_number_id is None:
        value = raw  # a whole change value (or an account notice): it is the value itself
    else:
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": phone_number_id},
            items: [raw],
        }
    return {
        "object": WEBHOOK_OBJECT,
        "entry": [{"id": waba_id, "changes": [{"field": field, "value": value}]}],
    }
