"""`make run`'s environment wires pay by link: the catalog and the sandbox provider share the
API key and callback secret, and each knows where the other (and the gateway's links) live."""

from __future__ import annotations

from pathlib import Path

import pytest

from bancone_cli.runenv import parse_env_text
from bancone_devstack.launcher.environment import build_env
from bancone_devstack.launcher.layout import Layout
from bancone_devstack.launcher.secrets_file import load_secrets

pytestmark = pytest.mark.unit

DEV_ENV = Path(__file__).resolve().parents[3] / "deploy" / "local" / "dev.env"


def test_the_catalog_and_the_sandbox_share_the_payment_secrets(tmp_path: Path) -> None:
    secrets, _ = load_secrets(tmp_path / "secrets.env")
    dev = parse_env_text(DEV_ENV.read_text(encoding="utf-8"))

    env = build_env(Layout(tmp_path), 200, dev, secrets, {})

    assert env["BANCONE_CATALOG_PAYMENTS_PROVIDER"] == "sandbox"
    assert env["BANCONE_CATALOG_PAYMENTS_SANDBOX_URL"] == "http://127.0.0.1:8290"
    assert env["BANCONE_CATALOG_PUBLIC_URL"] == "http://127.0.0.1:8281"
    key, secret = (
        secrets["BANCONE_PAYMENTS_SANDBOX_API_KEY"],
        secrets["BANCONE_PAYMENTS_SANDBOX_SECRET"],
    )
    assert (
        env["BANCONE_CATALOG_PAYMENTS_SANDBOX_API_KEY"]
        == env["BANCONE_SANDBOX_PAYMENTS_API_KEY"]
        == key
    )
    assert (
        env["BANCONE_CATALOG_PAYMENTS_SANDBOX_SECRET"]
        == env["BANCONE_SANDBOX_PAYMENTS_SECRET"]
        == secret
    )
    assert env["BANCONE_GATEWAY_LINK_BASE_URL"] == "http://127.0.0.1:8280"
    assert env["BANCONE_GATEWAY_LINK_KEYRING"] == secrets["BANCONE_GATEWAY_LINK_KEYRING"]
