"""Validate every built-in (core) Kubernetes object of rendered manifests against the schema.

Runs inside the deploy-tools venv (it imports `kubernetes_validate`, which ships the
OpenAPI schemas, so nothing is fetched). Custom resources (Strimzi, CloudNativePG, KEDA,
Prometheus operator) have no schema there; they are listed as skipped, and tests/deploy
checks the fields Bancone relies on instead.

    python validate_core.py --kubernetes-version 1.31.0 RENDERED.yaml [...]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import kubernetes_validate
import yaml

CORE_GROUPS = {
    "",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
}


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubernetes-version", action="append", required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failures = 0
    for path in args.files:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        checked: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        for doc in docs:
            kind = f"{doc['apiVersion']}/{doc['kind']}"
            if group_of(doc["apiVersion"]) not in CORE_GROUPS:
                skipped[kind] += 1
                continue
            for version in args.kubernetes_version:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as error:
                    failures += 1
                    name = doc["metadata"].get("name")
                    print(f"FAIL {path.name}: {kind} {name} (k8s {version}): {error.message}")
                    print(f"     at {'/'.join(str(p) for p in error.path)}")
            checked[kind] += 1
        print(
            f"{path.name}: {sum(checked.values())} core objects valid against Kubernetes "
            f"{', '.join(args.kubernetes_version)} (strict); "
            f"{sum(skipped.values())} custom resources not schema-checked: "
            + ", ".join(f"{k.rsplit('/', 1)[1]} x{n}" for k, n in sorted(skipped.items()))
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
