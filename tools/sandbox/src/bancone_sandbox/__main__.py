"""`bancone-sandbox [--host H] [--port P]`: serve the sandbox with uvicorn."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import structlog
import uvicorn

from bancone_sandbox.app import create_app
from bancone_sandbox.settings import SandboxSettings


def _configure_logging(level: str) -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bancone-sandbox", description=__doc__)
    parser.add_argument("--host", default=None, help="default $BANCONE_SANDBOX_HOST or 127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=None, help="default $BANCONE_SANDBOX_PORT or 8090"
    )
    args = parser.parse_args(argv)
    settings = SandboxSettings()
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    if overrides:
        settings = settings.model_copy(update=overrides)
    _configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        # Longer than the clients' connection pools keep an idle connection (httpx: 5 s), as
        # Meta's servers are: with uvicorn's 5 s, a send on a connection being closed failed.
        timeout_keep_alive=75,
    )


if __name__ == "__main__":
    main()
