"""The gateway's Alembic history builds its schema on an empty database and removes it again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bancone_gateway.adapters.identity_tables import (
    AuditRecord,
    InviteRecord,
    MembershipRecord,
    OperatorRecord,
    PasswordResetRecord,
    RefreshTokenRecord,
    SigningKeyRecord,
)
from bancone_gateway.adapters.tables import ChannelRecord, TenantRecord, WebhookReceipt
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord
from bancone_kit.testing.service_checks import (
    assert_migrations_round_trip,
    assert_schema_matches_models,
)

pytestmark = pytest.mark.service

MIGRATIONS = "bancone_gateway.migrations"
TABLES = {"outbox", "inbox", "tenants", "channels", "webhook_receipts"}
IDENTITY_TABLES = {
    "operators",
    "memberships",
    "operator_invites",
    "password_resets",
    "refresh_tokens",
    "signing_keys",
    "audit_log",
}
IDENTITY_MODELS = (
    OperatorRecord,
    MembershipRecord,
    InviteRecord,
    PasswordResetRecord,
    RefreshTokenRecord,
    SigningKeyRecord,
    AuditRecord,
)


async def test_gateway_migrations_upgrade_an_empty_database_and_downgrade_to_base(
    empty_database_url: str,
) -> None:
    await assert_migrations_round_trip(empty_database_url, MIGRATIONS, TABLES | IDENTITY_TABLES)


async def test_gateway_migrations_match_the_table_models(empty_database_url: str) -> None:
    """Tables are created only by migrations: the models must describe exactly that schema."""
    models = sa.MetaData()
    core = (TenantRecord, ChannelRecord, WebhookReceipt, OutboxRecord, InboxRecord)
    for model in (*core, *IDENTITY_MODELS):
        model.__table__.to_metadata(models)  # type: ignore[attr-defined]
    await assert_schema_matches_models(empty_database_url, MIGRATIONS, models)
