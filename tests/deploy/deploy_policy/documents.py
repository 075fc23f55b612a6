"""Reading rendered manifests: documents by kind and name, pods, containers, label selectors,
and the facts of the repository they are checked against (services, console scripts)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

Doc = dict[str, Any]
REPO = Path(__file__).resolve().parents[3]
SERVICES_DIR = REPO / "services"
DOCKER_DIR = REPO / "deploy" / "docker"

KAFKA_CLUSTER = "bancone"
PG_CLUSTER = "bancone-pg"
PG_HOST = f"{PG_CLUSTER}-rw"


def by_kind(docs: Iterable[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d.get("kind") == kind]


def find(docs: Iterable[Doc], kind: str, name: str) -> Doc | None:
    return next((d for d in by_kind(docs, kind) if d["metadata"]["name"] == name), None)


def service_names() -> list[str]:
    """Every service of the workspace: a folder under services/ with a pyproject.toml."""
    return sorted(p.parent.name for p in SERVICES_DIR.glob("*/pyproject.toml"))


def console_scripts(service: str) -> dict[str, str]:
    data = tomllib.loads((SERVICES_DIR / service / "pyproject.toml").read_text())
    scripts: dict[str, str] = data.get("project", {}).get("scripts", {})
    return scripts


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = workload["spec"]["template"]["spec"]
    return spec


def all_containers(workload: Doc) -> list[Doc]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def main_container(workload: Doc) -> Doc:
    name = workload["metadata"]["name"]
    containers = pod_spec(workload)["containers"]
    return next((c for c in containers if c["name"] == name), containers[0])


def labels_match(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        present = key in labels
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def kafka_listener(docs: list[Doc]) -> Doc:
    """The one client listener of the Kafka cluster (the services and KEDA use it)."""
    kafka = find(docs, "Kafka", KAFKA_CLUSTER)
    if kafka is None:
        raise LookupError(f"no Kafka {KAFKA_CLUSTER}")
    listeners: list[Doc] = kafka["spec"]["kafka"]["listeners"]
    if len(listeners) != 1:
        raise LookupError(f"Kafka {KAFKA_CLUSTER} has {len(listeners)} listeners, expected one")
    return listeners[0]


def kafka_bootstrap(docs: list[Doc]) -> str:
    return f"{KAFKA_CLUSTER}-kafka-bootstrap:{kafka_listener(docs)['port']}"
