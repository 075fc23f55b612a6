"""Sandbox settings (env prefix `BANCONE_SANDBOX_`) and the per-channel configuration."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bancone_cli.webhooks import DEFAULT_DISPLAY_PHONE_NUMBER, DEFAULT_WABA_ID

DelayPhase = Literal["before_record", "after_record"]


class ChannelConfig(BaseModel):
    """One WhatsApp number the sandbox accepts sends for, and where its statuses go."""

    phone_number_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", examples=["106540352242922"])
    access_token: str = Field(min_length=1)
    app_secret: str | None = Field(default=None, description="signs status webhooks")
    gateway_webhook_url: str | None = Field(
        default=None, examples=["http://127.0.0.1:8080/webhooks/whatsapp"]
    )
    status_webhooks: bool = Field(
        default=True, description="post sent/delivered/read when a URL and secret are set"
    )
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER
    waba_id: str = DEFAULT_WABA_ID


class SandboxSettings(BaseSettings):
    """`BANCONE_SANDBOX_CHANNELS` takes a JSON list of channels to register at start."""

    model_config = SettingsConfigDict(env_prefix="BANCONE_SANDBOX_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8090
    channels: list[ChannelConfig] = Field(default_factory=list)
    send_delay_seconds: float = Field(default=0.0, ge=0)
    send_delay_phase: DelayPhase = "after_record"
    status_interval_seconds: float = Field(default=0.1, ge=0)
    status_webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    log_level: str = "info"

    payments_api_key: str = Field(
        default="sandbox-payments-key",
        min_length=1,
        description="Bearer key the catalog sends to create payment links",
    )
    payments_secret: str = Field(
        default="sandbox-payments-secret",
        min_length=1,
        description="HMAC-SHA256 key of the X-Sandbox-Signature on payment callbacks",
    )
    payments_callback_attempts: int = Field(
        default=5, ge=1, le=20, description="tries per callback before giving up"
    )
    payments_callback_backoff_seconds: float = Field(
        default=1.0, ge=0, description="wait before the 2nd try; doubles after each failure"
    )
    payments_callback_timeout_seconds: float = Field(default=5.0, gt=0)
    # Meta's rules (meta_rules.py); the rate checks are off unless set.
    enforce_window: bool = Field(default=False, description="131047 outside the 24-hour window")
    enforce_templates: bool = Field(default=True, description="132001 for unknown templates")
    number_rate_per_second: float | None = Field(default=None, gt=0, description="130429 above")
    pair_interval_seconds: float | None = Field(default=None, gt=0, description="131056 within")
    template_initial_status: Literal["APPROVED", "PENDING"] = "APPROVED"
