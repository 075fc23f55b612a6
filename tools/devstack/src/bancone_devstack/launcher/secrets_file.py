"""The dev secrets of `make run`, generated once into `<state>/secrets.env` (0600) and reused:
the gateway's keyring must still open the channel secrets it sealed on an earlier run, the
agent's the tenants' LLM keys, and the platform operator's and the demo owner's passwords are
set once, when their accounts are made. The platform password is the gateway's bootstrap
credential (`platform_bootstrap_password`); no static token acts on any tenant. A secret added
here later is generated into an existing file on the next run."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bancone_cli.runenv import parse_env_text
from bancone_devstack.launcher.layout import write_private


def _keyring() -> str:
    """A one-key keyring (`kid:base64(32 random bytes)`, see `bancone_kit.crypto`)."""
    return f"local-{datetime.now(UTC):%Y%m%d}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


SECRET_GENERATORS: dict[str, Callable[[], str]] = {
    "BANCONE_PLATFORM_PASSWORD": lambda: secrets.token_urlsafe(24),
    "BANCONE_AGENT_SERVICE_SECRET": lambda: secrets.token_urlsafe(32),
    "BANCONE_DEMO_OWNER_PASSWORD": lambda: secrets.token_urlsafe(18),
    "BANCONE_GATEWAY_SECRETS_KEYRING": _keyring,
    "BANCONE_AGENT_SECRETS_KEYRING": _keyring,
    "BANCONE_CHANNEL_KEYRING": _keyring,
    "BANCONE_GATEWAY_LINK_KEYRING": _keyring,
    "BANCONE_PAYMENTS_SANDBOX_API_KEY": lambda: secrets.token_urlsafe(24),
    "BANCONE_PAYMENTS_SANDBOX_SECRET": lambda: secrets.token_urlsafe(32),
    "BANCONE_DEMO_APP_SECRET": lambda: secrets.token_hex(16),
    "BANCONE_DEMO_VERIFY_TOKEN": lambda: secrets.token_urlsafe(24),
    "BANCONE_DEMO_ACCESS_TOKEN": lambda: secrets.token_urlsafe(48),
}


def load_secrets(path: Path) -> tuple[dict[str, str], list[str]]:
    """The stored secrets plus any missing ones (generated and saved); the names generated."""
    stored = parse_env_text(path.read_text(encoding="utf-8")) if path.exists() else {}
    missing = [name for name in SECRET_GENERATORS if not stored.get(name)]
    values = {**stored, **{name: SECRET_GENERATORS[name]() for name in missing}}
    if missing:
        lines = [
            "# Dev secrets of `make run`, generated once by deploy/local/run.py and reused.",
            "# Delete this file together with .bancone/data/ (sealed channel secrets need it).",
            *(f"{name}={value}" for name, value in values.items()),
        ]
        write_private(path, "\n".join(lines) + "\n")
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return values, missing
