"""`.bancone/run.env` parsing and lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from bancone_cli.runenv import RunEnvError, find_run_env, load_run_env, parse_env_text

pytestmark = pytest.mark.unit


def test_parses_key_values_with_comments_quotes_and_export() -> None:
    text = (
        "# written by make run\n\nBANCONE_GATEWAY_URL=http://127.0.0.1:8080\n"
        "export BANCONE_DEMO_APP_SECRET='s3=cr3t'\nBANCONE_SANDBOX_URL=\"http://x\"\nnoise\n"
    )

    assert parse_env_text(text) == {
        "BANCONE_GATEWAY_URL": "http://127.0.0.1:8080",
        "BANCONE_DEMO_APP_SECRET": "s3=cr3t",
        "BANCONE_SANDBOX_URL": "http://x",
    }


def test_finds_the_nearest_run_env_upwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANCONE_RUN_ENV", raising=False)
    (tmp_path / ".bancone").mkdir()
    (tmp_path / ".bancone" / "run.env").write_text("A=1\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)

    assert find_run_env(nested) == tmp_path / ".bancone" / "run.env"


def test_process_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.env"
    path.write_text("BANCONE_GATEWAY_URL=http://file\nBANCONE_SANDBOX_URL=http://sandbox\n")
    monkeypatch.setenv("BANCONE_GATEWAY_URL", "http://env")

    env = load_run_env(path)

    assert env.require("BANCONE_GATEWAY_URL") == "http://env"
    assert env.require("BANCONE_SANDBOX_URL") == "http://sandbox"


def test_missing_key_names_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANCONE_DEMO_APP_SECRET", raising=False)
    path = tmp_path / "run.env"
    path.write_text("")

    with pytest.raises(RunEnvError, match="BANCONE_DEMO_APP_SECRET"):
        load_run_env(path).require("BANCONE_DEMO_APP_SECRET")
