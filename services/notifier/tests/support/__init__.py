"""Builders of the events the notifier consumes, and a fake Graph API, for tests (the harness
that runs the notifier on real Kafka and PostgreSQL is `support.kafka`).

Test-only code: it lives beside the notifier's tests, not in its package, and the tests import
it as `services.notifier.tests.support` (see docs/architecture.md, "Test helpers").
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bancone_contracts.common import WhatsAppError, utc_now
from bancone_contracts.events.channel import ChannelChange, ChannelChanged, ChannelChangeKind
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_contracts.events.outbound import (
    OutboundContent,
    OutboundMessage,
    OutboundMessageRequested,
    OutboundText,
)
from bancone_contracts.events.status import StatusUpdate, WhatsAppStatus, WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import (
    AccountNotice,
    MarketingPreference,
    WhatsAppUpdateData,
    WhatsAppUpdateReceived,
)
from bancone_kit.crypto import Keyring, SecretBox, generate_key
from bancone_notifier.domain.sending import Accepted, SendOutcome

_numbers = itertools.count(1)
TEST_WABA_ID = "100000000000001"
"""The sandbox's default WhatsApp Business Account id (`bancone_cli.webhooks.DEFAULT_WABA_ID`)."""


def new_keyring() -> str:
    """A fresh one-key channel keyring spec (`kid:base64key`)."""
    return f"test-{uuid.uuid4().hex[:8]}:{generate_key()}"


def new_wa_id() -> str:
    """A unique, phone-number-shaped customer id, so tests never see each other's messages."""
    return f"39{uuid.uuid4().int % 10**10:010d}"


@dataclass
class EventFactory:
    """Builds the notifier's input events for one tenant and one business number."""

    keyring: str
    tenant_id: str = "demo"
    phone_number_id: str = field(default_factory=lambda: f"1065{next(_numbers):011d}")
    access_token: str = field(default_factory=lambda: f"EAAG-test-{uuid.uuid4().hex}")
    waba_id: str = TEST_WABA_ID

    @property
    def box(self) -> SecretBox:
        return SecretBox(Keyring.parse(self.keyring))

    def channel(
        self,
        change: ChannelChangeKind = "registered",
        *,
        tenant_id: str | None = None,
        access_token: str | None = None,
        time: datetime | None = None,
    ) -> ChannelChanged:
        """The gateway's event: the access token sealed with AAD = phone_number_id."""
        sealed = (
            None
            if change == "disabled"
            else self.box.seal_parts(access_token or self.access_token, self.phone_number_id)
        )
        data = ChannelChange(
            change=change,
            phone_number_id=self.phone_number_id,
            access_token_ciphertext=sealed.ciphertext if sealed else None,
            key_id=sealed.key_id if sealed else None,
            waba_id=self.waba_id,
        )
        extra: dict[str, Any] = {"time": time} if time else {}
        return ChannelChanged.new(
            tenant_id=tenant_id or self.tenant_id, source="gateway", data=data, **extra
        )

    def outbound(
        self,
        to: str,
        content: OutboundContent | None = None,
        *,
        tenant_id: str | None = None,
        reply_to: str | None = None,
        operator_id: str | None = None,
    ) -> OutboundMessageRequested:
        """The agent's reply, or an operator's when `operator_id` is given (sender human)."""
        data = OutboundMessage(
            customer_id=to,
            to=to,
            phone_number_id=self.phone_number_id,
            reply_to=reply_to,
            sender="human" if operator_id else "ai",
            operator_id=operator_id,
            content=content or OutboundText(body="Ciao! Il Barbera costa 12,50 €."),
        )
        return OutboundMessageRequested.new(
            tenant_id=tenant_id or self.tenant_id, source="agent", data=data
        )

    def status(
        self,
        wamid: str,
        status: WhatsAppStatus,
        recipient: str,
        *,
        timestamp: datetime | None = None,
        error_code: int | None = None,
        tenant_id: str | None = None,
    ) -> WhatsAppStatusUpdated:
        errors = (
            (WhatsAppError(code=error_code, title="Message undeliverable"),)
            if error_code is not None
            else ()
        )
        data = StatusUpdate(
            wamid=wamid,
            status=status,
            phone_number_id=self.phone_number_id,
            recipient_id=recipient,
            timestamp=timestamp or utc_now(),
            errors=errors,
        )
        return WhatsAppStatusUpdated.new(
            tenant_id=tenant_id or self.tenant_id, source="gateway", data=data
        )

    def inbound(
        self,
        wa_id: str,
        text: str = "Avete il Barbera?",
        *,
        at: datetime | None = None,
        tenant_id: str | None = None,
        profile_name: str | None = None,
    ) -> InboundMessageReceived:
        """The gateway's event for a customer's text message, received `at` (default now)."""
        data = InboundMessage(
            message_id=f"wamid.IN{uuid.uuid4().hex}",
            phone_number_id=self.phone_number_id,
            customer=Customer(wa_id=wa_id, profile_name=profile_name),
            timestamp=at or utc_now(),
            content=TextContent(body=text),
        )
        return InboundMessageReceived.new(
            tenant_id=tenant_id or self.tenant_id, source="gateway", data=data
        )

    def marketing_preference(
        self, wa_id: str, value: str, *, tenant_id: str | None = None
    ) -> WhatsAppUpdateReceived:
        """WhatsApp's `user_preferences` webhook as the gateway publishes it."""
        update = MarketingPreference(
            phone_number_id=self.phone_number_id,
            customer_wa_id=wa_id,
            category="marketing_messages",
            value=value,
            timestamp=utc_now(),
        )
        return WhatsAppUpdateReceived.new(
            tenant_id=tenant_id or self.tenant_id,
            source="gateway",
            data=WhatsAppUpdateData(update=update),
        )

    def template_notice(
        self,
        field: str,
        *,
        template_id: str | None,
        name: str,
        language: str = "it",
        event: str | None = None,
        reason: str | None = None,
        quality_score: str | None = None,
        time: datetime | None = None,
        tenant_id: str | None = None,
    ) -> WhatsAppUpdateReceived:
        """Meta's `message_template_status_update` / `…_quality_update` as the gateway
        publishes it (routed by the WhatsApp Business Account)."""
        notice = AccountNotice(
            field=field,
            waba_id=self.waba_id,
            event=event,
            template_id=template_id,
            template_name=name,
            template_language=language,
            reason=reason,
            quality_score=quality_score,
        )
        extra: dict[str, Any] = {"time": time} if time else {}
        return WhatsAppUpdateReceived.new(
            tenant_id=tenant_id or self.tenant_id,
            source="gateway",
            data=WhatsAppUpdateData(update=notice),
            **extra,
        )


@dataclass(frozen=True)
class GraphCall:
    phone_number_id: str
    access_token: str
    body: dict[str, Any]


class FakeGraphApi:
    """Answers each send with the next scripted outcome (then accepts), recording every call."""

    def __init__(self, *outcomes: SendOutcome) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[GraphCall] = []

    async def send_message(
        self, phone_number_id: str, access_token: str, body: Mapping[str, Any]
    ) -> SendOutcome:
        self.calls.append(GraphCall(phone_number_id, access_token, dict(body)))
        if self.outcomes:
            return self.outcomes.pop(0)
        return Accepted(f"wamid.FAKE{uuid.uuid4().hex}")


class FakeClock:
    """A pacer's clock on a made-up timeline: `sleep` moves time on to where the sleeper
    wanted to wake (never back), after letting other tasks run; nothing waits for real."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        target = self.time + max(seconds, 0.0)
        await asyncio.sleep(0)
        self.time = max(self.time, target)
