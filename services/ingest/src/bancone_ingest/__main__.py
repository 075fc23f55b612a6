"""`bancone-ingest serve | migrate` (also `python -m bancone_ingest`)."""

from __future__ import annotations

from collections.abc import Sequence

from bancone_ingest.bootstrap import build_app
from bancone_ingest.settings import IngestSettings
from bancone_kit.cli import run_service_cli


def main(argv: Sequence[str] | None = None) -> int:
    return run_service_cli(argv, load_settings=IngestSettings, build_app=build_app)


if __name__ == "__main__":
    raise SystemExit(main())
