"""The shared command line, driven as a real process through a tiny service written here.

The kit sits below the services, so its tests build their own: a package with a settings
class, an app from `create_app` and a one-revision migration history, run with `python -m`.
"""

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

PACKAGE = "kit_cli_demo"
PREFIX = "KIT_CLI_DEMO_"
FILES = {
    "__init__.py": '"""A service of nothing, for the kit\'s command-line tests."""\n',
    "__main__.py": f'''
from pydantic_settings import SettingsConfigDict

from bancone_kit.cli import run_service_cli
from bancone_kit.http.app import create_app
from bancone_kit.settings import ServiceSettings


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="{PREFIX}")
    service_name: str = "demo"


def build_app(settings):
    return create_app("demo", settings)


if __name__ == "__main__":
    raise SystemExit(
        run_service_cli(
            None,
            service="demo",
            load_settings=DemoSettings,
            build_app=build_app,
            migrations_package="{PACKAGE}.migrations",
        )
    )
''',
    "migrations/__init__.py": "",
    "migrations/env.py": (
        "from bancone_kit.db.migrations import run_alembic_env\n\nrun_alembic_env()\n"
    ),
    "migrations/versions/0001_messaging.py": """
from bancone_kit.db.migration_ops import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None


def upgrade():
    create_messaging_tables()


def downgrade():
    drop_messaging_tables()
""",
}


@pytest.fixture
def demo_service(tmp_path: Path) -> Path:
    """The demo service's package written under a fresh directory; returns that directory."""
    root = tmp_path / "src"
    for name, text in FILES.items():
        path = root / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def demo_env(source_root: Path, **settings: str) -> dict[str, str]:
    """The environment of a demo process: its package importable, `settings` as variables."""
    path = os.pathsep.join(p for p in (str(source_root), os.environ.get("PYTHONPATH")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        **{f"{PREFIX}{key.upper()}": value for key, value in settings.items()},
    }


def demo(source_root: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args],
        env=demo_env(source_root, **settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_migrate_upgrades_and_downgrades_the_service_database(
    demo_service: Path, sqlite_url: str
) -> None:
    upgraded = demo(demo_service, "migrate", database_url=sqlite_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert '"event": "migrations.upgraded"' in upgraded.stdout
    assert {"outbox", "inbox"} <= await table_names(sqlite_url)

    downgraded = demo(demo_service, "migrate", "--downgrade", "base", database_url=sqlite_url)
    assert downgraded.returncode == 0, downgraded.stderr
    assert not {"outbox", "inbox"} & await table_names(sqlite_url)


def test_invalid_settings_exit_with_a_message(demo_service: Path) -> None:
    result = demo(demo_service, "migrate", log_format="xml")
    assert result.returncode == 2
    assert "log_format" in result.stderr


def test_serve_answers_healthz_until_terminated(demo_service: Path, tmp_path: Path) -> None:
    port = free_port()
    env = demo_env(
        demo_service,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite'}",
        http_port=str(port),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", PACKAGE, "serve", "--migrate"],
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
        assert response is not None, "the demo service never answered /healthz"
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert process.returncode in {0, -signal.SIGTERM}, output
    assert "Application shutdown complete" in output
    assert '"event": "gc.startup_heap_frozen"' in output
    assert "bancone_gc_pause_seconds_count" in metrics.text
