"""What the console may write about a customer: tags, a consent decision, and how the customer
list pages. Pure: values in, values (or a plain error) out."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Final, Literal

ConsentLabel = Literal["opted_in", "opted_out", "none"]

TAG_PATTERN: Final = re.compile(r"^[a-z0-9_-]{1,32}$")
MAX_TAGS: Final = 20
RESERVED_SOURCES: Final[frozenset[str]] = frozenset({"keyword", "whatsapp_preferences"})
"""Sources only the notifier itself writes (a customer's own words, WhatsApp's preference):
an operator cannot record a decision in the customer's name."""


class CustomerNotFoundError(LookupError):
    """The tenant has no such customer (404; another tenant's is not found either)."""


class CustomerInputError(ValueError):
    """Tags, a consent request or a cursor that cannot be accepted as given (422)."""


def checked_tags(raw: Iterable[str]) -> tuple[str, ...]:
    """The tags to store: lower-cased, without repeats, sorted; refused whole if one is not
    1-32 characters of `a-z 0-9 _ -` or there are more than `MAX_TAGS`."""
    tags = sorted({tag.strip().lower() for tag in raw})
    bad = [tag for tag in tags if not TAG_PATTERN.match(tag)]
    if bad:
        raise CustomerInputError(
            f"invalid tag {bad[0]!r}: 1-32 characters among a-z, 0-9, '_' and '-'"
        )
    if len(tags) > MAX_TAGS:
        raise CustomerInputError(f"at most {MAX_TAGS} tags, {len(tags)} given")
    return tuple(tags)


def checked_consent_request(action: str, source: str, proof: str | None) -> str | None:
    """The proof to record (stripped), or `CustomerInputError`: an opt-in needs its proof
    (Meta asks the business to be able to show it), and the notifier's own sources are not
    the operator's to use."""
    if source in RESERVED_SOURCES:
        raise CustomerInputError(f"source {source!r} is recorded by the notifier itself")
    text = (proof or "").strip()
    if action == "opt_in" and not text:
        raise CustomerInputError("an opt-in needs its proof (the form, the signed sheet, ...)")
    return text or None


def consent_label(status: str | None) -> ConsentLabel:
    if status == "opted_in":
        return "opted_in"
    if status == "opted_out":
        return "opted_out"
    return "none"


def encode_cursor(customer_id: str) -> str:
    """An opaque cursor after `customer_id` (the list is in customer-id order)."""
    return base64.urlsafe_b64encode(customer_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        value = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise CustomerInputError("invalid cursor") from error
    if not value:
        raise CustomerInputError("invalid cursor")
    return value
