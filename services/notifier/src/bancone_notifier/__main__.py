"""`bancone-notifier serve | migrate` (also `python -m bancone_notifier`)."""

from __future__ import annotations

from collections.abc import Sequence

from bancone_kit.cli import run_service_cli
from bancone_notifier.bootstrap import build_app
from bancone_notifier.settings import NotifierSettings


def main(argv: Sequence[str] | None = None) -> int:
    return run_service_cli(argv, load_settings=NotifierSettings, build_app=build_app)


if __name__ == "__main__":
    raise SystemExit(main())
