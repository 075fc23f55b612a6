"""Which customer messages a turn answers, once edits and deletions are known.

A customer who deletes a message (``revoke``) is never answered for the deletion, nor for the
deleted message if it has not been answered yet (it is in the same batch). A corrected
message (``edit``) carries its new text and replaces the original when both wait together;
an edit of a message already answered is answered as a new message (its text changed).
"""

from __future__ import annotations

from collections.abc import Sequence

from bancone_contracts.events.inbound import InboundMessageReceived


def answerable(events: Sequence[InboundMessageReceived]) -> list[InboundMessageReceived]:
    """The events to answer, in order: revokes, revoked and superseded messages left out."""
    withdrawn = {e.data.revoke.original_message_id for e in events if e.data.revoke is not None}
    withdrawn |= {e.data.edit.original_message_id for e in events if e.data.edit is not None}
    return [e for e in events if e.data.revoke is None and e.data.message_id not in withdrawn]
