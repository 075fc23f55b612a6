"""`bancone-scripted-llm [--host H] [--port P] [--script FILE]`: serve a script with uvicorn."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from bancone_scripted_llm.app import create_app
from bancone_scripted_llm.script import Script


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bancone-scripted-llm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--script", type=Path, default=None, help="a script as JSON")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    script = (
        Script.model_validate(json.loads(args.script.read_text(encoding="utf-8")))
        if args.script
        else None
    )
    uvicorn.run(
        create_app(script),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
