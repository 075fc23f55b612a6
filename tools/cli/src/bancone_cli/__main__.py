"""`bancone` console script: `chat`, `import`, `knowledge add` and `knowledge reindex`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx
from rich.console import Console

from bancone_cli.chat import (
    DEFAULT_NAME,
    DEFAULT_WA_ID,
    ChatTarget,
    chat_interactive,
    chat_once,
)
from bancone_cli.importer import DEFAULT_CATALOG_URL, KINDS, Kind, run_import
from bancone_cli.knowledge import DEFAULT_INGEST_URL, run_knowledge_add
from bancone_cli.operator_login import DEFAULT_GATEWAY_URL, LoginError, log_in
from bancone_cli.reindex import run_reindex
from bancone_cli.runenv import RunEnv, RunEnvError, load_run_env

PLATFORM_EMAIL = "platform@bancone.local"
"""The gateway's default platform operator (`make run`)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bancone", description=__doc__)
    parser.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="run environment (default: $BANCONE_RUN_ENV or the nearest .bancone/run.env)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="talk to Bancone as a WhatsApp customer")
    chat.add_argument("--to", dest="wa_id", default=DEFAULT_WA_ID, help="your WhatsApp id")
    chat.add_argument("--name", default=DEFAULT_NAME, help="your WhatsApp profile name")
    chat.add_argument("--once", metavar="TEXT", help="send TEXT, print the reply, exit")
    chat.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a reply")

    imp = commands.add_parser("import", help="bulk-import a catalogue file (JSON or CSV)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--tenant", required=True, help="tenant slug, e.g. demo")
    imp.add_argument("--kind", choices=KINDS, default=None, help="what a CSV file holds")
    imp.add_argument("--catalog-url", default=None, help="default $BANCONE_CATALOG_URL")
    imp.add_argument(
        "--token",
        default=None,
        help="an operator access token; default: log in at $BANCONE_GATEWAY_URL as "
        "$BANCONE_OPERATOR_EMAIL / $BANCONE_OPERATOR_PASSWORD (run.env: the demo owner)",
    )

    knowledge = commands.add_parser("knowledge", help="the shop's documents")
    knowledge_commands = knowledge.add_subparsers(dest="knowledge_command", required=True)
    add = knowledge_commands.add_parser("add", help="upload a document and wait for it")
    add.add_argument(
        "file",
        help="a PDF, DOCX, HTML, Markdown or text file, or an http(s) URL for the ingest to "
        "fetch (the shop's knowledge settings must allow it)",
    )
    add.add_argument("--tenant", required=True, help="tenant slug, e.g. demo")
    add.add_argument("--title", default=None, help="how answers cite it (default: file name)")
    add.add_argument("--ingest-url", default=None, help="default $BANCONE_INGEST_URL")
    add.add_argument(
        "--token", default=None, help="an operator access token (default: log in as for import)"
    )
    reindex = knowledge_commands.add_parser(
        "reindex", help="embed the index again after the embedder changed (platform operator)"
    )
    reindex.add_argument("--tenant", default=None, help="one tenant only (default: every one)")
    reindex.add_argument("--ingest-url", default=None, help="default $BANCONE_INGEST_URL")
    reindex.add_argument(
        "--token",
        default=None,
        help="a platform operator's access token; default: log in at $BANCONE_GATEWAY_URL as "
        "$BANCONE_PLATFORM_EMAIL (platform@bancone.local) / $BANCONE_PLATFORM_PASSWORD "
        "(make run's .bancone/secrets.env)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console()
    try:
        env = load_run_env(args.env_file)
        if args.command == "chat":
            target = ChatTarget.from_run_env(env)
            if args.once is not None:
                return chat_once(
                    target,
                    args.once,
                    wa_id=args.wa_id,
                    name=args.name,
                    timeout=args.timeout,
                    console=console,
                )
            return chat_interactive(
                target, wa_id=args.wa_id, name=args.name, timeout=args.timeout, console=console
            )
        if args.command == "knowledge" and args.knowledge_command == "reindex":
            return run_reindex(
                tenant=args.tenant,
                ingest_url=args.ingest_url
                or env.get("BANCONE_INGEST_URL", DEFAULT_INGEST_URL)
                or DEFAULT_INGEST_URL,
                token=args.token or platform_token(env),
                console=console,
            )
        if args.command == "knowledge":
            return run_knowledge_add(
                args.file,
                tenant=args.tenant,
                title=args.title,
                ingest_url=args.ingest_url
                or env.get("BANCONE_INGEST_URL", DEFAULT_INGEST_URL)
                or DEFAULT_INGEST_URL,
                token=args.token or operator_token(env, args.tenant),
                console=console,
            )
        kind: Kind | None = args.kind
        return run_import(
            args.file,
            tenant=args.tenant,
            kind=kind,
            catalog_url=args.catalog_url
            or env.get("BANCONE_CATALOG_URL", DEFAULT_CATALOG_URL)
            or DEFAULT_CATALOG_URL,
            token=args.token or operator_token(env, args.tenant),
            console=console,
        )
    except (RunEnvError, LoginError) as error:
        console.print(f"[red]{error}[/]")
        return 2


def operator_token(env: RunEnv, tenant: str) -> str | None:
    """Log in as the operator the environment names (`BANCONE_OPERATOR_*`, else run.env's
    demo owner); None when it names none (the catalog will then answer 401)."""
    email = env.get("BANCONE_OPERATOR_EMAIL") or env.get("BANCONE_DEMO_OWNER_EMAIL")
    password = env.get("BANCONE_OPERATOR_PASSWORD") or env.get("BANCONE_DEMO_OWNER_PASSWORD")
    if not (email and password):
        return None
    gateway = env.get("BANCONE_GATEWAY_URL") or DEFAULT_GATEWAY_URL
    with httpx.Client(timeout=10.0) as client:
        return log_in(client, gateway, email, password, tenant)


def platform_token(env: RunEnv) -> str | None:
    """Log in as the platform operator (`BANCONE_PLATFORM_EMAIL` / `_PASSWORD`); None when no
    password is set (the ingest will then answer 401)."""
    email = env.get("BANCONE_PLATFORM_EMAIL") or PLATFORM_EMAIL
    password = env.get("BANCONE_PLATFORM_PASSWORD")
    if not password:
        return None
    gateway = env.get("BANCONE_GATEWAY_URL") or DEFAULT_GATEWAY_URL
    with httpx.Client(timeout=10.0) as client:
        return log_in(client, gateway, email, password)


if __name__ == "__main__":
    sys.exit(main())
