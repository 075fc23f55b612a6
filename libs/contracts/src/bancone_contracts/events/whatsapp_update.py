"""``bancone.whatsapp-updates.v1``: what WhatsApp reports besides messages and statuses.

- ``business_echo`` (webhook field ``smb_message_echoes``): the owner answered a customer from
  the WhatsApp Business app on the same number — the conversation is in human hands.
- ``marketing_preference`` (``user_preferences``): a customer stopped or resumed marketing
  messages — the notifier's consent ledger is the consumer.
- ``account`` (template status/quality, account and phone-number quality updates): for
  operators.

Consumers of this topic are later work; the gateway publishes it so nothing Meta says is lost.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from bancone_contracts import topics
from bancone_contracts.common import ContractModel, UtcDatetime, WaId
from bancone_contracts.envelope import Envelope


class BusinessEcho(ContractModel):
    """A message the business sent from the WhatsApp Business app (not through Bancone)."""

    kind: Literal["business_echo"] = "business_echo"
    message_id: str = Field(description="wamid of the owner's message.")
    phone_number_id: str
    customer_wa_id: WaId = Field(description="The customer it was sent to (``to``).")
    timestamp: UtcDatetime
    message_type: str = Field(examples=["text", "image"])
    text: str | None = Field(default=None, description="Text body or caption, when it has one.")


class MarketingPreference(ContractModel):
    """A customer's choice about marketing messages, as WhatsApp recorded it."""

    kind: Literal["marketing_preference"] = "marketing_preference"
    phone_number_id: str
    customer_wa_id: WaId
    category: str = Field(examples=["marketing_messages"])
    value: str = Field(description="WhatsApp's value: stop or resume.", examples=["stop", "resume"])
    detail: str | None = None
    timestamp: UtcDatetime | None = None


class AccountNotice(ContractModel):
    """A template or account event of a WhatsApp Business Account, for operators."""

    kind: Literal["account"] = "account"
    field: str = Field(
        description="Meta's webhook field.",
        examples=["message_template_status_update", "phone_number_quality_update"],
    )
    waba_id: str
    event: str | None = Field(default=None, examples=["APPROVED", "REJECTED", "FLAGGED"])
    display_phone_number: str | None = None
    template_id: str | None = None
    template_name: str | None = None
    template_language: str | None = None
    reason: str | None = None
    quality_score: str | None = Field(default=None, examples=["GREEN", "YELLOW", "RED"])
    previous_quality_score: str | None = None
    current_limit: str | None = Field(default=None, examples=["TIER_1K"])


WhatsAppUpdate = Annotated[
    BusinessEcho | MarketingPreference | AccountNotice, Field(discriminator="kind")
]


class WhatsAppUpdateData(ContractModel):
    update: WhatsAppUpdate


class WhatsAppUpdateReceived(Envelope[WhatsAppUpdateData]):
    """WhatsApp reported something about a conversation or the business account."""

    topic: ClassVar[str] = topics.WHATSAPP_UPDATES
    type: Literal["whatsapp.update.received"] = "whatsapp.update.received"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: WhatsAppUpdateData) -> str:
        update = data.update
        if isinstance(update, AccountNotice):
            return topics.tenant_key(tenant_id)
        return topics.conversation_key(tenant_id, update.customer_wa_id)
