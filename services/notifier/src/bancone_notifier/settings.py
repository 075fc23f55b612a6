"""Settings of the notifier, read from `BANCONE_NOTIFIER_*` environment variables."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from bancone_kit.crypto import DEV_CHANNEL_KEYRING, Keyring
from bancone_kit.http.auth import TokenAuthSettings
from bancone_kit.settings import ConsumerSettings, Port

SHARED_CHANNEL_KEYRING_ENV = "BANCONE_CHANNEL_KEYRING"
"""The variable gateway and notifier may both read, so a local run sets the shared key once."""


class NotifierSettings(ConsumerSettings, TokenAuthSettings):
    """Everything the notifier reads from its environment; built in `bootstrap`, never at import.

    The channel keyring opens the access tokens the gateway seals on `bancone.channel.v1`
    (`kid:base64key[,kid:base64key...]`, first entry current; see `bancone_kit.crypto`); its
    dev default refuses to load outside `environment=dev`.
    """

    model_config = SettingsConfigDict(env_prefix="BANCONE_NOTIFIER_")

    service_name: str = "notifier"
    http_port: Port = 8084
    database_pool_size: int = Field(
        default=40,
        ge=1,
        le=200,
        description="Connections kept open: a campaign's sends in flight (32) each run their "
        "own transactions beside the consumers'; with the shared default of 5 the pool opened "
        "and closed connections all through a campaign (a quarter of the notifier's CPU).",
    )
    database_pool_pre_ping: bool = Field(
        default=False,
        description="Off: the ping cost a round trip and ~2 ms of CPU per send. A connection "
        "dropped by a database restart fails one transaction instead, and SQLAlchemy then "
        "replaces every pooled connection; the send path records its outcome again on a "
        "fresh connection (outbound_sending.record_outcome).",
    )

    graph_base_url: str = Field(
        default="https://graph.facebook.com",
        description="Where the Graph API lives; the sandbox's URL in local runs and tests.",
    )
    graph_version: str = Field(
        default="v25.0", pattern=r"^v\d+\.\d+$", description="Graph API version in the path."
    )
    graph_timeout_seconds: float = Field(
        default=15.0, gt=0, description="Whole-request timeout of one send (read, write, pool)."
    )
    graph_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Connect timeout of one send; a refused connect is retried."
    )
    send_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Attempts per message on 429, 5xx and retryable codes."
    )
    send_retry_initial_seconds: float = Field(
        default=0.5, ge=0, description="First backoff between attempts (exponential, jittered)."
    )
    send_retry_max_seconds: float = Field(
        default=10.0, ge=0, description="Longest single backoff (a Retry-After is capped to it)."
    )
    consumer_retry_attempts: int = Field(
        default=8,
        ge=1,
        description="Handler attempts before an event goes to the DLQ (e.g. an outbound for a "
        "channel not yet known while the channel topic is still being read).",
    )
    enforce_window: bool = Field(
        default=True,
        description="Refuse a free-form message (anything but a template) more than 24 hours "
        "after the customer last wrote, without calling the Graph API (code 131047).",
    )
    check_templates: bool = Field(
        default=True,
        description="Refuse a template send whose template is unknown (after one sync from "
        "the Graph API), not APPROVED, or given missing/extra parameters (no Graph call).",
    )
    template_miss_ttl_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        description="After a sync on miss finds a template unknown at Meta too, sends of it are "
        "refused without asking again for this long (0: ask every time).",
    )
    inbound_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        le=120,
        description="How long a reply quoting a customer message not yet recorded waits for "
        "it (the inbound consumer may lag the agent) before the window is judged without it.",
    )
    run_campaigns: bool = Field(
        default=True, description="Run the campaign runner in this process (a background task)."
    )
    campaign_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How often the runner looks for due campaigns."
    )
    campaign_batch_size: int = Field(
        default=20, ge=1, le=500, description="Recipients a runner claims per transaction."
    )
    campaign_concurrency: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Sends in flight per campaign (claimed, waiting for their pacer slot or "
        "the Graph API): what a pause lets finish. At the tier's rate it must cover one "
        "send's round trips (80/s for ~0.3 s: 24).",
    )
    campaign_send_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Attempts per campaign recipient: a send that surely reached no one "
        "(Graph API unreachable, retryable refusal after the send's own retries) is queued "
        "again with a new outbound id.",
    )
    campaign_retry_delay_seconds: float = Field(
        default=60.0, ge=0, le=3600, description="Wait before attempt n+1: n times this."
    )
    campaign_claim_lease_seconds: float = Field(
        default=300.0,
        gt=0,
        description="After this long another runner's unfinished claim counts as abandoned "
        "(longer than a send with all its retries).",
    )
    campaign_stop_grace_seconds: float = Field(
        default=10.0, ge=0, description="On shutdown, how long the sends in flight may finish."
    )
    pacing_enabled: bool = Field(
        default=True,
        description="Pace every send through the database-shared pacer (docs/pacing.md); off "
        "sends as fast as the Graph API answers.",
    )
    pacing_tier_per_second: float = Field(
        default=80.0,
        gt=0,
        le=1000,
        description="Each number's throughput tier (Meta: 80/s, up to 1000); a number's own "
        "`pacing_numbers.tier_per_second` overrides it.",
    )
    pacing_margin: float = Field(
        default=0.01,
        ge=0,
        lt=0.5,
        description="Fraction of the tier the slots leave unused (80/s at 0.01 books 79.2/s); "
        "the dispatch window, not this margin, keeps late sends from making 81 in a second.",
    )
    pacing_unanswered_expiry_seconds: float = Field(
        default=15.0,
        gt=0,
        le=300,
        description="Each replica lets at most the tier arrive in any second, counting a send "
        "from when it leaves until its answer (domain/dispatch_window.py); one never answered "
        "stops counting this long after it left.",
    )
    pacing_pair_interval_seconds: float = Field(
        default=6.0,
        ge=0,
        le=60,
        description="Spacing of campaign messages to one customer from one number (131056).",
    )
    pacing_campaign_horizon_seconds: float = Field(
        default=0.25,
        gt=0,
        le=5,
        description="How far ahead campaign traffic may book slots: the most a reply waits "
        "behind a campaign.",
    )
    pacing_lease_size: int = Field(
        default=4,
        ge=1,
        le=100,
        description="Campaign slots a replica books per database write.",
    )
    pacing_replica_heartbeat_seconds: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="How often each replica writes its heartbeat row: the live replicas split "
        "each number's tier (domain/replica_share.py); a new replica beside others waits two "
        "heartbeats and a second before sending, a dead one's share is freed after four.",
    )
    pacing_number_backoff_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How long a number holds after 130429 without a Retry-After.",
    )
    run_sweeper: bool = Field(
        default=True,
        description="Run the sweeper in this process: it deletes `inbound_seen` rows past their "
        "retention and idle `pacing_pairs` (a background task; every replica may run it).",
    )
    sweep_interval_seconds: float = Field(
        default=3600.0, gt=0, le=86400, description="How often the sweeper runs."
    )
    inbound_seen_retention_hours: float = Field(
        default=168.0,
        ge=25,
        le=24 * 90,
        description="How long a customer message stays in `inbound_seen` (a reply quoting it "
        "waits for it there); at least the 24-hour window and its grace.",
    )
    channel_keyring: SecretStr = Field(
        default=SecretStr(DEV_CHANNEL_KEYRING),
        validation_alias=AliasChoices(
            "channel_keyring", "BANCONE_NOTIFIER_CHANNEL_KEYRING", SHARED_CHANNEL_KEYRING_ENV
        ),
        description="Opens the access tokens on bancone.channel.v1; shared with the gateway.",
    )

    @field_validator("channel_keyring")
    @classmethod
    def _keyring_parses(cls, value: SecretStr) -> SecretStr:
        Keyring.parse(value)
        return value

    @field_validator("graph_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")
