"""`bancone-agent serve | migrate` (also `python -m bancone_agent`)."""

from __future__ import annotations

from collections.abc import Sequence

from bancone_agent.bootstrap import build_app
from bancone_agent.settings import AgentSettings
from bancone_kit.cli import run_service_cli


def main(argv: Sequence[str] | None = None) -> int:
    return run_service_cli(
        argv,
        service="agent",
        load_settings=AgentSettings,
        build_app=build_app,
        migrations_package="bancone_agent.migrations",
    )


if __name__ == "__main__":
    raise SystemExit(main())
