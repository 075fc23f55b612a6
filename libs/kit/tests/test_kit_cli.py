"""The shared command line, driven through a real service's console entry point (gateway)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bancone_kit.db.migrations import table_names

pytestmark = pytest.mark.service


def gateway(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bancone_gateway", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_migrate_upgrades_and_downgrades_the_service_database(sqlite_url: str) -> None:
    env = {"BANCONE_GATEWAY_DATABASE_URL": sqlite_url}

    upgraded = gateway("migrate", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert '"event": "migrations.upgraded"' in upgraded.stdout
    assert {"outbox", "inbox"} <= await table_names(sqlite_url)

    downgraded = gateway("migrate", "--downgrade", "base", env=env)
    assert downgraded.returncode == 0, downgraded.stderr
    assert not {"outbox", "inbox"} & await table_names(sqlite_url)


def test_invalid_settings_exit_with_a_message() -> None:
    result = gateway("migrate", env={"BANCONE_GATEWAY_LOG_FORMAT": "xml"})
    assert result.returncode == 2
    assert "log_format" in result.stderr


def test_serve_answers_healthz_until_terminated(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "BANCONE_GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gw.sqlite'}",
        "BANCONE_GATEWAY_HTTP_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bancone_gateway", "serve", "--migrate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, "gateway never answered /healthz"
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert process.returncode in {0, -signal.SIGTERM}, output
    assert "Application shutdown complete" in output
