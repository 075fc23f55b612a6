"""``python -m bancone_contracts schemas|asyncapi``: regenerate the committed contract files."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bancone-contracts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    schemas = commands.add_parser("schemas", help="write JSON Schema of every event")
    schemas.add_argument("--out", type=Path, default=None, help="directory (default: schemas/)")
    asyncapi = commands.add_parser("asyncapi", help="write the AsyncAPI 3.0 document")
    asyncapi.add_argument("--out", type=Path, default=None, help="file (docs/asyncapi.yaml)")
    args = parser.parse_args(argv)

    if args.command == "schemas":
        from bancone_contracts.schema_export import SCHEMAS_DIR, write_schemas

        for path in write_schemas(args.out or SCHEMAS_DIR):
            print(path)
    else:
        from bancone_contracts.asyncapi import ASYNCAPI_PATH, write_asyncapi

        print(write_asyncapi(args.out or ASYNCAPI_PATH))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
