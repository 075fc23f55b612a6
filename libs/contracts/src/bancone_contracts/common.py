"""Building blocks shared by every contract: model bases, UTC times, WhatsApp errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC; naive datetimes are rejected."""


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class ContractModel(BaseModel):
    """Base of our own models: immutable, unknown fields rejected when we build them.

    Consumers parse with ``extra="ignore"`` (see ``parse_event``) so an additive optional
    field published by a newer producer never breaks an older consumer.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")


class WhatsAppError(ContractModel):
    """An error reported by WhatsApp (on a failed status or an unsupported message)."""

    code: int = Field(
        description="Graph API error code; branch on this, never on the text.",
        examples=[131051, 131047],
    )
    title: str | None = Field(default=None, examples=["Message type unknown"])
    message: str | None = Field(default=None, examples=["Message type unknown"])
    details: str | None = Field(
        default=None,
        description="error_data.details from WhatsApp.",
        examples=["Message type is currently not supported."],
    )
    href: str | None = Field(default=None, description="Link to Meta's error documentation.")


_PHONE_PUNCTUATION = str.maketrans("", "", " -().")


def normalise_wa_id(value: object) -> object:
    """A phone-based WhatsApp id as digits only: ``+39 333…``, ``39333…`` name one customer.

    Anything that is not a phone number once punctuation and a leading ``+`` are gone (a
    business-scoped id, a value of another type) is returned unchanged, for the field to judge.
    """
    if not isinstance(value, str):
        return value
    digits = value.strip().translate(_PHONE_PUNCTUATION).removeprefix("+")
    return digits if digits.isdigit() else value


WaId = Annotated[str, BeforeValidator(normalise_wa_id)]
"""A ``wa_id`` normalised once, where every event that carries one is built."""


def customer_id_of(wa_id: str | None, user_id: str | None) -> str:
    """The stable identity of a WhatsApp customer: the wa_id, else the business-scoped user id.

    From 2026 Meta may send only a business-scoped user id, so the phone number cannot be the
    only identity.
    """
    if wa_id:
        return wa_id
    if user_id:
        return user_id
    raise ValueError("a customer needs a wa_id or a business-scoped user_id")


class Money(ContractModel):
    """An amount in a currency; the amount travels as a decimal string, never a float."""

    amount: Decimal = Field(description="Decimal amount, as a string in JSON.", examples=["18.50"])
    currency: str = Field(
        min_length=3,
        max_length=3,
        pattern="^[A-Z]{3}$",
        description="ISO 4217 code.",
        examples=["EUR"],
    )
