"""WhatsApp channels: a business phone number, the tenant it routes to, and its credentials.

Secrets are sealed at rest with the gateway's keyring, each bound (AAD) to its channel and
field, so a ciphertext copied to another row or column does not open. The access token the
notifier needs travels on `bancone.channel.v1` sealed with the channel keyring, bound to the
phone_number_id alone (the notifier opens it with that AAD).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from bancone_contracts.events.channel import ChannelChangeKind

ChannelStatus = Literal["active", "disabled"]
SecretField = Literal["verify_token", "app_secret", "access_token"]
SECRET_FIELDS: tuple[SecretField, ...] = ("verify_token", "app_secret", "access_token")

PHONE_NUMBER_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
PhoneNumberId = Annotated[str, StringConstraints(pattern=PHONE_NUMBER_ID_PATTERN)]

Outcome = ChannelChangeKind | Literal["unchanged"]
"""What a provisioning call did; `unchanged` publishes no event (an idempotent re-run)."""


def at_rest_aad(phone_number_id: str, field: SecretField) -> str:
    """The associated data of a channel secret stored in the gateway's database."""
    return f"channel:{phone_number_id}:{field}"


def verify_token_digest(verify_token: str) -> str:
    """What the channels table indexes a verify token by: Meta's handshake then finds its
    channel with one lookup instead of opening every channel's sealed token."""
    return hashlib.sha256(f"bancone.verify_token:{verify_token}".encode()).hexdigest()


def channel_event_aad(phone_number_id: str) -> str:
    """The associated data of the access token on `bancone.channel.v1` (shared with notifier)."""
    return phone_number_id


class ChannelCredentials(BaseModel):
    """What an operator sends to register a channel or rotate its secrets.

    Secrets are `SecretStr`: never echoed in responses, logs or validation errors. Omitted
    `waba_id` / `display_phone_number` keep their stored values.
    """

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    verify_token: SecretStr = Field(min_length=8, max_length=512)
    app_secret: SecretStr = Field(min_length=8, max_length=512)
    access_token: SecretStr = Field(min_length=8, max_length=4096)
    waba_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    display_phone_number: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = (
        None
    )

    def secret(self, field: SecretField) -> str:
        value: SecretStr = getattr(self, field)
        return value.get_secret_value()


@dataclass(frozen=True)
class StoredChannel:
    """A channel as stored, with its secrets already opened (never leaves the gateway)."""

    tenant_id: str
    phone_number_id: str
    status: ChannelStatus
    waba_id: str | None
    display_phone_number: str | None
    secrets: dict[SecretField, str]


def change_for(existing: StoredChannel | None, wanted: ChannelCredentials) -> Outcome:
    """Classify a register-or-rotate request against what is stored."""
    if existing is None:
        return "registered"
    if existing.status == "disabled":
        return "registered"
    same_secrets = all(existing.secrets[f] == wanted.secret(f) for f in SECRET_FIELDS)
    same_metadata = (wanted.waba_id in (None, existing.waba_id)) and (
        wanted.display_phone_number in (None, existing.display_phone_number)
    )
    return "unchanged" if same_secrets and same_metadata else "rotated"
