"""``bancone.channel.v1`` (compacted): a WhatsApp number registered, rotated or disabled.

The notifier keeps its copy of each channel's access token from this topic; the token only
ever travels AES-GCM encrypted with a key the gateway and the notifier share.
"""

from __future__ import annotations

import base64
import binascii
from typing import ClassVar, Literal, Self

from pydantic import Field, field_validator, model_validator

from bancone_contracts import topics
from bancone_contracts.common import ContractModel
from bancone_contracts.envelope import Envelope

ChannelChangeKind = Literal["registered", "rotated", "disabled"]

_AES_GCM_OVERHEAD = 12 + 16
"""Nonce plus tag: a shorter blob cannot be an AES-GCM ciphertext."""


class ChannelChange(ContractModel):
    """The current state of one WhatsApp channel after a change."""

    change: ChannelChangeKind
    phone_number_id: str = Field(min_length=1, examples=["106540352242922"])
    waba_id: str | None = Field(default=None, description="WhatsApp Business Account id.")
    display_phone_number: str | None = Field(default=None, examples=["+39 02 1234 5678"])
    access_token_ciphertext: str | None = Field(
        default=None,
        description="base64 of nonce || AES-GCM ciphertext || tag of the Graph API access "
        "token; never the token in clear. Absent when disabled.",
    )
    key_id: str | None = Field(
        default=None, description="Which shared key encrypted the token (key rotation)."
    )

    @field_validator("access_token_ciphertext")
    @classmethod
    def _looks_like_aead_blob(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("access_token_ciphertext must be base64") from exc
        if len(raw) <= _AES_GCM_OVERHEAD:
            raise ValueError("access_token_ciphertext is too short to be AES-GCM output")
        return value

    @model_validator(mode="after")
    def _token_unless_disabled(self) -> Self:
        if self.change != "disabled" and (self.access_token_ciphertext is None or not self.key_id):
            raise ValueError("an active channel carries access_token_ciphertext and key_id")
        return self


class ChannelChanged(Envelope[ChannelChange]):
    """A WhatsApp channel's routing or credentials changed; keyed by phone_number_id."""

    topic: ClassVar[str] = topics.CHANNEL
    type: Literal["channel.changed"] = "channel.changed"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: ChannelChange) -> str:
        return topics.channel_key(data.phone_number_id)
