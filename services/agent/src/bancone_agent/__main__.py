"""`bancone-agent serve | migrate | config` (also `python -m bancone_agent`).

`config import --tenant T FILE` makes a JSON configuration file the tenant's active agent
configuration (a new version unless it equals the active one, so a launcher may run it on
every start); `config show --tenant T` prints the active one (version 0 = built-in defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bancone_agent.adapters.config_store import (
    ConfigError,
    config_document,
    get_active_config,
    import_config,
)
from bancone_agent.bootstrap import build_app, config_secrets, sessions_of, shop_directory
from bancone_agent.domain.config import AgentConfig
from bancone_agent.settings import AgentSettings
from bancone_kit.cli import run_service_cli
from bancone_kit.db import create_engine


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["config"]:
        return config_command(args[1:])
    return run_service_cli(args, load_settings=AgentSettings, build_app=build_app)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bancone-agent config", description="Per-tenant agent configuration."
    )
    commands = parser.add_subparsers(dest="action", required=True)
    load = commands.add_parser("import", help="make a JSON file the tenant's active config")
    load.add_argument("file", type=Path, help="JSON configuration (see AgentConfig)")
    load.add_argument("--tenant", required=True, help="tenant id, e.g. demo")
    load.add_argument("--actor", default="cli", help="recorded as the version's author")
    show = commands.add_parser("show", help="print the tenant's active config as JSON")
    show.add_argument("--tenant", required=True, help="tenant id, e.g. demo")
    return parser


def config_command(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = AgentSettings()
    except ValidationError as error:
        print(f"bancone-agent: invalid settings\n{error}", file=sys.stderr)
        return 2
    shop = shop_directory(settings)(args.tenant)
    fallback = AgentConfig(shop_name=shop.name, default_language=shop.language)
    if args.action == "import":
        try:
            document = json.loads(args.file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            print(f"bancone-agent: cannot read {args.file}: {error}", file=sys.stderr)
            return 2
        if not isinstance(document, dict):
            print(f"bancone-agent: {args.file} is not a JSON object", file=sys.stderr)
            return 2
        try:
            version, new = asyncio.run(
                _import(settings, args.tenant, document, args.actor, fallback)
            )
        except ConfigError as error:
            print(f"bancone-agent: invalid configuration: {error}", file=sys.stderr)
            return 2
        state = "new version" if new else "unchanged"
        print(f"agent config of tenant {args.tenant}: version {version} ({state})")
        return 0
    config = asyncio.run(_show(settings, args.tenant, fallback))
    print(json.dumps({"version": config.version, **_shown(config)}, indent=2, ensure_ascii=False))
    return 0


def _shown(config: AgentConfig) -> dict[str, object]:
    document = config_document(config)
    if document["llm"].get("api_key"):
        document["llm"]["api_key"] = "**********"
    return document


async def _import(
    settings: AgentSettings,
    tenant_id: str,
    document: dict[str, object],
    actor: str,
    fallback: AgentConfig,
) -> tuple[int, bool]:
    engine = create_engine(settings.database_url)
    try:
        return await import_config(
            sessions_of(engine),
            tenant_id,
            document,
            actor,
            fallback=fallback,
            secrets=config_secrets(settings),
        )
    finally:
        await engine.dispose()


async def _show(settings: AgentSettings, tenant_id: str, fallback: AgentConfig) -> AgentConfig:
    engine = create_engine(settings.database_url)
    try:
        async with sessions_of(engine)() as session:
            return await get_active_config(
                session, tenant_id, fallback=fallback, box=config_secrets(settings).box
            )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
