"""The notifier's tables, created only by its Alembic history (`migrations/versions/0002_*`).

They live in the notifier's own SQLAlchemy registry, not SQLModel's shared one, so a process
that also imports another service's models (the test session, e2e helpers) never sees two
`channels` tables collide. The kit's `outbox`/`inbox` stay in the shared metadata.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from bancone_kit.clock import utcnow


class NotifierTable(SQLModel, registry=registry()):
    """Base of the notifier's tables: their own metadata (`NotifierTable.metadata`)."""


def _when(nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable)


class ChannelRecord(NotifierTable, table=True):
    """The notifier's copy of a WhatsApp channel from `bancone.channel.v1`.

    The access token is kept exactly as it travelled (AES-GCM, bound to the phone_number_id)
    and opened only at send time; `changed_at` (the event time) keeps a replayed older event
    from overwriting a newer one.
    """

    __tablename__ = "channels"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'disabled')", name="ck_channels_status"),
        sa.Index("ix_channels_tenant_id", "tenant_id"),
    )

    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    access_token_ciphertext: str | None = Field(
        default=None, sa_column=sa.Column(sa.Text(), nullable=True)
    )
    key_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    waba_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    display_phone_number: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(32), nullable=True)
    )
    changed_at: datetime = Field(sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class OutboundMessageRecord(NotifierTable, table=True):
    """One outbound message: its claim (`sending`, committed before the Graph API call), the
    send's result and its delivery lifecycle. The primary key is what makes sends at most once."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('sending', 'accepted', 'sent', 'delivered', 'read', 'failed', 'unknown')",
            name="ck_outbound_messages_state",
        ),
        sa.UniqueConstraint("wamid", name="uq_outbound_messages_wamid"),
        sa.Index("ix_outbound_messages_tenant_wamid", "tenant_id", "wamid"),
        sa.Index("ix_outbound_messages_tenant_customer", "tenant_id", "customer_id", "created_at"),
        sa.Index("ix_outbound_messages_state", "state"),
    )

    outbound_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    conversation_id: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(128), nullable=True)
    )
    event_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    content_kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    wamid: str | None = Field(default=None, sa_column=sa.Column(sa.String(256), nullable=True))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    error_code: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    error_title: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(500), nullable=True)
    )
    retryable: bool | None = Field(default=None, sa_column=sa.Column(sa.Boolean(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class DeliveryStatusRecord(NotifierTable, table=True):
    """Every WhatsApp status received, once per (wamid, status) — the dedupe key.

    `outbound_id` is empty while the wamid is unknown (a status racing the send's commit, or a
    message sent by something else); such rows are applied when the send records that wamid.
    `applied` says whether the status moved the lifecycle.
    """

    __tablename__ = "delivery_statuses"
    __table_args__ = (
        sa.Index("ix_delivery_statuses_outbound_id", "outbound_id"),
        sa.Index("ix_delivery_statuses_tenant_received", "tenant_id", "received_at"),
    )

    wamid: str = Field(sa_column=sa.Column(sa.String(256), primary_key=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    outbound_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid(), nullable=True)
    )
    occurred_at: datetime = Field(sa_column=_when())
    received_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    error_code: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    error_title: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(500), nullable=True)
    )
    applied: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False))


class CustomerWindowRecord(NotifierTable, table=True):
    """When the customer last wrote to one business number: the 24-hour window's start.

    Only ever moved forward (a late, out-of-order inbound event leaves a newer time alone).
    """

    __tablename__ = "customer_windows"

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    last_inbound_at: datetime = Field(sa_column=_when())
    last_message_id: str = Field(sa_column=sa.Column(sa.String(256), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class InboundSeenRecord(NotifierTable, table=True):
    """A customer message the notifier has taken into account (window, keywords).

    An AI reply quotes the message it answers (`reply_to`); finding it here tells the outbound
    handler its window check is not racing the inbound consumer.
    """

    __tablename__ = "inbound_seen"
    __table_args__ = (sa.Index("ix_inbound_seen_recorded_at", "recorded_at"),)

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    message_id: str = Field(sa_column=sa.Column(sa.String(256), primary_key=True))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    received_at: datetime = Field(sa_column=_when())
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ConsentRecord(NotifierTable, table=True):
    """The consent ledger: every opt-in and opt-out, append-only, with where it came from and
    its proof (the customer's words, WhatsApp's preference payload, a form reference)."""

    __tablename__ = "consent_records"
    __table_args__ = (
        sa.CheckConstraint("action IN ('opt_in', 'opt_out')", name="ck_consent_records_action"),
        sa.UniqueConstraint("tenant_id", "event_id", name="uq_consent_records_event"),
        sa.Index("ix_consent_records_tenant_customer", "tenant_id", "customer_id", "occurred_at"),
    )

    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid(), primary_key=True)
    )
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    phone_number_id: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(64), nullable=True)
    )
    action: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    source: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    proof: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    event_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    occurred_at: datetime = Field(sa_column=_when())
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CustomerConsentRecord(NotifierTable, table=True):
    """A customer's current marketing consent at one tenant: the latest ledger entry's action."""

    __tablename__ = "customer_consents"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('opted_in', 'opted_out')", name="ck_customer_consents_status"
        ),
    )

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    source: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    changed_at: datetime = Field(sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ConsentKeywordsRecord(NotifierTable, table=True):
    """A tenant's own opt-out/opt-in keywords (`[{phrase, action, language}]`), replacing the
    defaults of `domain.consent` when present."""

    __tablename__ = "consent_keywords"

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    keywords: list[dict[str, str]] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class MessageTemplateRecord(NotifierTable, table=True):
    """The local copy of a message template of one WhatsApp Business Account, per tenant.

    Written when an operator creates one through the Graph API, by a sync (the Graph API's
    list), and by Meta's status and quality webhooks. `components` are Meta's own JSON; a send
    is checked against them (`domain.templates`). `status_changed_at` (the webhook's event time)
    keeps a late, older webhook from undoing a newer status.
    """

    __tablename__ = "message_templates"
    __table_args__ = (
        sa.UniqueConstraint(
            "tenant_id", "waba_id", "name", "language", name="uq_message_templates_name"
        ),
        sa.Index("ix_message_templates_meta_id", "waba_id", "meta_id"),
    )

    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid(), primary_key=True)
    )
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    waba_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    meta_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    name: str = Field(sa_column=sa.Column(sa.String(512), nullable=False))
    language: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    category: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    components: list[dict[str, object]] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    quality_score: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(16), nullable=True)
    )
    status_changed_at: datetime = Field(sa_column=_when())
    synced_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CustomerProfileRecord(NotifierTable, table=True):
    """What campaigns may use about a customer: the WhatsApp profile name of their last
    message, and the language of the last keyword they used (None until they used one)."""

    __tablename__ = "customer_profiles"

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    profile_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(256)))
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CampaignRecord(NotifierTable, table=True):
    """A campaign: its template and variables, segment, schedule and state (`domain.campaigns`)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')",
            name="ck_campaigns_state",
        ),
        sa.UniqueConstraint("tenant_id", "origin", name="uq_campaigns_origin"),
        sa.Index("ix_campaigns_due", "state", "send_at"),
        sa.Index("ix_campaigns_tenant", "tenant_id", "created_at"),
    )

    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid(), primary_key=True)
    )
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    template: dict[str, object] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    segment: dict[str, object] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    origin: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    """Where a draft came from (`offer:<id>`), unique per tenant so a replay drafts once."""
    send_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    started_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CampaignRecipientRecord(NotifierTable, table=True):
    """One recipient of a campaign, written once when the audience is materialised.

    `state`: `queued` → `claimed` (by a runner, before anything is sent) → `done` (the send's
    outcome is in `outbound_messages` under `outbound_id`), or `skipped` with a reason. A send
    that failed for a retryable reason is queued again (`attempt` + 1, a new `outbound_id`,
    not before `not_before`).
    """

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('queued', 'claimed', 'done', 'skipped')", name="ck_campaign_recipients_state"
        ),
        sa.UniqueConstraint("outbound_id", name="uq_campaign_recipients_outbound"),
        sa.Index("ix_campaign_recipients_state", "campaign_id", "state"),
    )

    campaign_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    outbound_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    skip_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    parameters: list[str] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    claimed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    claimed_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    done_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    attempt: int = Field(
        default=0,
        sa_column=sa.Column(sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    not_before: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class CampaignSettingsRecord(NotifierTable, table=True):
    """A tenant's campaign settings: draft a campaign when the catalog publishes a new offer."""

    __tablename__ = "campaign_settings"

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    draft_on_new_offer: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    offer_template: dict[str, object] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    phone_number_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class PacingNumberRecord(NotifierTable, table=True):
    """One business number's shared send bucket (`domain/pacing_slots.py`, docs/pacing.md):
    every replica books its slots here under the row lock. Times are epoch seconds."""

    __tablename__ = "pacing_numbers"

    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    next_slot_at: float = Field(default=0.0, sa_column=sa.Column(sa.Float(), nullable=False))
    blocked_until: float = Field(default=0.0, sa_column=sa.Column(sa.Float(), nullable=False))
    tier_per_second: float | None = Field(
        default=None, sa_column=sa.Column(sa.Float(), nullable=True)
    )
    """This number's own throughput tier, when it differs from the setting (Meta raised it)."""
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class PacingPairRecord(NotifierTable, table=True):
    """When a number may next message one customer (pair rate, 131056 back-off)."""

    __tablename__ = "pacing_pairs"
    __table_args__ = (sa.Index("ix_pacing_pairs_next_at", "next_at"),)

    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    next_at: float = Field(default=0.0, sa_column=sa.Column(sa.Float(), nullable=False))
    blocked_until: float = Field(default=0.0, sa_column=sa.Column(sa.Float(), nullable=False))


class PacingReplicaRecord(NotifierTable, table=True):
    """A live notifier replica's heartbeat (`adapters/replica_roster.py`): the replicas split
    each number's tier between those whose row is recent (`domain/replica_share.py`)."""

    __tablename__ = "pacing_replicas"

    replica_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    seen_at: float = Field(sa_column=sa.Column(sa.Float(), nullable=False))
    """Epoch seconds of its last heartbeat, on its own clock."""
    started_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CustomerTagRecord(NotifierTable, table=True):
    """A tag an operator put on a customer (`vip`, `wholesale`): campaign segments filter on
    them (`domain.audience`). Replaced as a whole set by the console."""

    __tablename__ = "customer_tags"
    __table_args__ = (sa.Index("ix_customer_tags_tenant_tag", "tenant_id", "tag"),)

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    tag: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CustomerInterestRecord(NotifierTable, table=True):
    """A product category a customer `bought` (from `bancone.order.v1`) or was shown when they
    `asked` (from `bancone.agent-turns.v1`): one row per (customer, kind, category)."""

    __tablename__ = "customer_interests"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('bought', 'asked')", name="ck_customer_interests_kind"),
        sa.Index("ix_customer_interests_category", "tenant_id", "kind", "category"),
    )

    tenant_id: str = Field(sa_column=sa.Column(sa.String(63), primary_key=True))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    kind: str = Field(sa_column=sa.Column(sa.String(8), primary_key=True))
    category: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    first_at: datetime = Field(sa_column=_when())
    last_at: datetime = Field(sa_column=_when())
    """The newest event's time (orders: the change, turns: the turn); never moves back."""
