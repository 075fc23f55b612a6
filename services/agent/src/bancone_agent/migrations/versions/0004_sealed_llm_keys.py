"""Seal the tenant LLM keys stored in clear in every agent config version.

Versions written before this revision keep `llm.api_key` in clear in their JSON; each is
rewritten with the key sealed under the agent's keyring (`BANCONE_AGENT_SECRETS_KEYRING`, the
setting `serve` uses), bound to its tenant, as `llm.api_key_sealed`. Downgrade opens them back
(the code before this revision reads only the clear key).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from bancone_agent.settings import AgentSettings
from bancone_kit.crypto import Keyring, SecretBox

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED_KEY = "api_key_sealed"
"""Frozen here as `adapters.config_store` defines them today: a migration must not change
when the code does."""


def api_key_aad(tenant_id: str) -> str:
    return f"{tenant_id}/llm.api_key"


_configs = sa.table(
    "agent_configs",
    sa.column("tenant_id", sa.String()),
    sa.column("version", sa.Integer()),
    sa.column("config", sa.JSON()),
)


def _box() -> SecretBox:
    return SecretBox(Keyring.parse(AgentSettings().secrets_keyring))


def _rewrite(change: Callable[[str, dict[str, Any]], dict[str, Any] | None]) -> None:
    """Apply `change(tenant_id, llm)` to every version; None leaves the row as it is."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_configs.c.tenant_id, _configs.c.version, _configs.c.config)
    ).all()
    for tenant_id, version, config in rows:
        llm = dict((config or {}).get("llm") or {})
        changed = change(tenant_id, llm)
        if changed is None:
            continue
        connection.execute(
            _configs.update()
            .where(_configs.c.tenant_id == tenant_id, _configs.c.version == version)
            .values(config={**config, "llm": changed})
        )


def upgrade() -> None:
    box = _box()

    def seal(tenant_id: str, llm: dict[str, Any]) -> dict[str, Any] | None:
        key = llm.get("api_key")
        if not key:
            return None
        return {**llm, "api_key": None, SEALED_KEY: box.seal(key, api_key_aad(tenant_id))}

    _rewrite(seal)


def downgrade() -> None:
    box = _box()

    def open_(tenant_id: str, llm: dict[str, Any]) -> dict[str, Any] | None:
        sealed = llm.pop(SEALED_KEY, None)
        if sealed is None:
            return None
        return {**llm, "api_key": box.open(sealed, api_key_aad(tenant_id))}

    _rewrite(open_)
