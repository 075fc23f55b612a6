"""`bancone-catalog serve | migrate` (also `python -m bancone_catalog`)."""

from __future__ import annotations

from collections.abc import Sequence

from bancone_catalog.bootstrap import build_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.cli import run_service_cli


def main(argv: Sequence[str] | None = None) -> int:
    return run_service_cli(argv, load_settings=CatalogSettings, build_app=build_app)


if __name__ == "__main__":
    raise SystemExit(main())
