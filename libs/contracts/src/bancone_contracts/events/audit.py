"""``bancone.audit.v1``: one operator or platform action (who, what, which tenant, when, from where).

The gateway records each action in its audit log and publishes it here through its outbox, in
the same transaction as the change, so integrators (SIEM, compliance exports) see exactly the
actions that happened. Never carries a password, a token or a link secret.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from bancone_contracts import topics
from bancone_contracts.common import ContractModel, UtcDatetime
from bancone_contracts.envelope import Envelope

ActorKind = Literal["operator", "platform", "service", "anonymous"]

PLATFORM_TENANT = "_platform"
"""`tenant_id` of actions that belong to no tenant (a platform operator's login); no tenant id
can take this value (tenant ids start with a letter or digit)."""


class AuditEntry(ContractModel):
    """What was done, by whom, from where."""

    action: str = Field(
        min_length=1,
        max_length=64,
        description="Dotted verb, e.g. operator.invited, session.login_failed, tenant.created.",
        examples=["operator.invited"],
    )
    actor_kind: ActorKind = Field(description="Who acted: an operator, the platform, a service.")
    actor_id: str | None = Field(
        default=None,
        description="The operator id (or service name) that acted; absent when unknown.",
        examples=["0b7e1c1e-4f0c-4a6e-9a57-6f1b2f9d1c2a"],
    )
    target: str | None = Field(
        default=None,
        max_length=320,
        description="What the action was about: an operator id or email, a tenant id.",
        examples=["ada@example.com"],
    )
    role: str | None = Field(default=None, description="The role granted or used, if any.")
    source_ip: str | None = Field(
        default=None,
        description="The client address the request came from.",
        examples=["203.0.113.7"],
    )
    occurred_at: UtcDatetime = Field(description="When the action happened (UTC).")


class AuditRecorded(Envelope[AuditEntry]):
    """An operator or platform action was recorded; keyed by tenant_id."""

    topic: ClassVar[str] = topics.AUDIT
    type: Literal["audit.recorded"] = "audit.recorded"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: AuditEntry) -> str:
        return topics.tenant_key(tenant_id)
