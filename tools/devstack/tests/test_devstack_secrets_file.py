"""`make run`'s generated secrets: every keyring the services need (the agent's too), valid,
kept across runs, and a secret added later filled into an existing file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bancone_devstack.launcher.secrets_file import SECRET_GENERATORS, load_secrets
from bancone_kit.crypto import Keyring

pytestmark = pytest.mark.unit


def test_the_keyrings_are_generated_once_valid_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    first, generated = load_secrets(path)
    assert set(generated) == set(SECRET_GENERATORS)
    for name in (
        "BANCONE_GATEWAY_SECRETS_KEYRING",
        "BANCONE_AGENT_SECRETS_KEYRING",
        "BANCONE_GATEWAY_LINK_KEYRING",
    ):
        Keyring.parse(first[name])
    assert path.stat().st_mode & 0o077 == 0
    again, generated_again = load_secrets(path)
    assert (again, generated_again) == (first, [])


def test_a_secret_missing_from_an_older_file_is_added(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    first, _ = load_secrets(path)
    older = {k: v for k, v in first.items() if k != "BANCONE_AGENT_SECRETS_KEYRING"}
    path.write_text("".join(f"{k}={v}\n" for k, v in older.items()), encoding="utf-8")
    values, generated = load_secrets(path)
    assert generated == ["BANCONE_AGENT_SECRETS_KEYRING"]
    assert {k: values[k] for k in older} == older
