"""Policy checks over rendered Kubernetes manifests: each returns the problems it finds.

The tests in this folder run them over `kustomize build` of every overlay (they must find
nothing) and over deliberately broken copies (they must find the break). What "right" means
is taken from the code wherever the code says it: topics from `bancone_contracts.topics`,
settings from each service's pydantic settings class, consumer groups from each service's
`entrypoints.consumers.SUBSCRIPTIONS`, console scripts from each `pyproject.toml`.
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import re
import secrets
import tomllib
import types
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import AliasChoices, SecretStr
from sqlalchemy.engine import make_url

from bancone_contracts import topics
from bancone_contracts.topics import ALL_TOPICS, DLQ_SUFFIX, EVENT_TOPICS
from bancone_kit.crypto import generate_key
from bancone_kit.settings import ServiceSettings

Doc = dict[str, Any]
REPO = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO / "services"
DOCKER_DIR = REPO / "deploy" / "docker"

KAFKA_CLUSTER = "bancone"
PG_CLUSTER = "bancone-pg"
PG_HOST = f"{PG_CLUSTER}-rw"

PRODUCES: dict[str, set[str]] = {
    "gateway": {topics.INBOUND, topics.STATUS, topics.CHANNEL, topics.AUDIT},
    "catalog": {topics.CATALOG},
    "ingest": set(),
    "agent": {topics.OUTBOUND, topics.CONVERSATION, topics.AGENT_TURNS},
    "notifier": {topics.DELIVERY},
}
"""Who writes which topic (DESIGN.md and the code). Consumed topics and groups come from the
code; a topic nobody is listed as writing fails `kafka_acl_problems`, so a new topic gets an
owner here and an ACL in deploy/k8s/base/kafka/users.yaml."""

CLUSTER_REQUIRED: dict[str, set[str]] = {
    "*": {"environment", "http_host", "database_url", "kafka_bootstrap_servers"},
    "agent": {"catalog_url", "ingest_url"},
    "ingest": {"qdrant_url", "qdrant_api_key"},
}
"""Settings whose defaults only suit one machine (SQLite, localhost, 127.0.0.1, embedded
Qdrant): in a cluster they must be set, beside the fields without defaults and the secrets."""

KIT_PENDING = {
    "kafka_security_protocol",
    "kafka_sasl_mechanism",
    "kafka_sasl_username",
    "kafka_sasl_password",
    "kafka_ssl_cafile",
}
"""Kafka client settings the manifests set for the TLS + SCRAM listener that the kit's
`ServiceSettings` does not read yet (docs/deploy.md, "Known gaps"). Once the kit has a field
of that name it is checked like any other; until then its variable is allowed but reported."""


# --------------------------------------------------------------------------- documents


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


# --------------------------------------------------------------------------- workloads


def workload_problems(docs: list[Doc]) -> list[str]:
    """Each service Deployment: probes, resources, security context, writable /tmp, grace,
    its Service, ServiceAccount and PodDisruptionBudget; the same for every container."""
    problems: list[str] = []
    deployments = by_kind(docs, "Deployment")
    names = {d["metadata"]["name"] for d in deployments}
    for service in service_names():
        if service not in names:
            problems.append(f"service {service} has no Deployment")
    for workload in [*deployments, *by_kind(docs, "StatefulSet")]:
        problems += _one_workload(docs, workload)
    return problems


def _one_workload(docs: list[Doc], workload: Doc) -> list[str]:
    name = f"{workload['kind']} {workload['metadata']['name']}"
    spec = pod_spec(workload)
    problems: list[str] = []
    pod_security = spec.get("securityContext") or {}
    if pod_security.get("runAsNonRoot") is not True:
        problems.append(f"{name}: pod securityContext.runAsNonRoot is not true")
    if (pod_security.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: pod seccompProfile is not RuntimeDefault")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: the pod mounts a service account token it never uses")
    grace = spec.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or grace < 30:
        problems.append(f"{name}: terminationGracePeriodSeconds {grace!r} < 30")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for container in all_containers(workload):
        where = f"{name} container {container['name']}"
        problems += _container_security(where, container)
        problems += _container_resources(where, container)
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        tmp = volumes.get(mounts.get("/tmp", ""), {})
        if "emptyDir" not in tmp:
            problems.append(f"{where}: /tmp is not an emptyDir (the root filesystem is read-only)")
    main = main_container(workload)
    problems += _probes(name, main)
    problems += _companions(docs, workload)
    return problems


def _container_security(where: str, container: Doc) -> list[str]:
    security = container.get("securityContext") or {}
    problems = []
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation is not false")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: readOnlyRootFilesystem is not true")
    if security.get("privileged"):
        problems.append(f"{where}: privileged")
    if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
        problems.append(f"{where}: capabilities.drop does not include ALL")
    if (security.get("capabilities") or {}).get("add"):
        problems.append(f"{where}: adds capabilities")
    return problems


def _container_resources(where: str, container: Doc) -> list[str]:
    resources = container.get("resources") or {}
    problems = []
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(section) or {}):
                problems.append(f"{where}: no {section}.{resource}")
    return problems


def _probes(name: str, container: Doc) -> list[str]:
    problems = []
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    wanted = {"readinessProbe": "/readyz", "livenessProbe": {"/healthz", "/livez"}}
    for probe_name, paths in wanted.items():
        probe = container.get(probe_name)
        http = (probe or {}).get("httpGet")
        if not http:
            problems.append(f"{name}: no HTTP {probe_name}")
            continue
        allowed = {paths} if isinstance(paths, str) else paths
        if http.get("path") not in allowed:
            problems.append(f"{name}: {probe_name} path {http.get('path')} not {sorted(allowed)}")
        port = http.get("port")
        if port not in ports and port not in ports.values():
            problems.append(f"{name}: {probe_name} port {port!r} is not a container port")
    return problems


def _companions(docs: list[Doc], workload: Doc) -> list[str]:
    name = workload["metadata"]["name"]
    spec = pod_spec(workload)
    labels = workload["spec"]["template"]["metadata"].get("labels", {})
    problems = []
    account = spec.get("serviceAccountName")
    if not account or find(docs, "ServiceAccount", account) is None:
        problems.append(f"{workload['kind']} {name}: its ServiceAccount {account!r} is missing")
    if not any(
        labels_match(p["spec"].get("selector"), labels)
        for p in by_kind(docs, "PodDisruptionBudget")
    ):
        problems.append(f"{workload['kind']} {name}: no PodDisruptionBudget selects its pods")
    if not any(
        s["spec"].get("selector")
        and all(labels.get(k) == v for k, v in s["spec"]["selector"].items())
        for s in by_kind(docs, "Service")
    ):
        problems.append(f"{workload['kind']} {name}: no Service selects its pods")
    return problems


# --------------------------------------------------------------------------- images and commands


IMAGE = re.compile(r"^(?:(?P<registry>.+)/)?bancone/(?P<service>[a-z0-9-]+):(?P<tag>[\w.-]+)$")


def image_problems(docs: list[Doc]) -> list[str]:
    """Images name a real service and an exact tag; commands are its console script's
    `serve` (main container) and `migrate` (init container), which its Dockerfile runs."""
    problems: list[str] = []
    services = set(service_names())
    for workload in by_kind(docs, "Deployment"):
        name = workload["metadata"]["name"]
        for container in all_containers(workload):
            where = f"Deployment {name} container {container['name']}"
            match = IMAGE.match(container.get("image", ""))
            if not match:
                problems.append(
                    f"{where}: image {container.get('image')!r} is not bancone/<service>:<tag>"
                )
                continue
            service = match["service"]
            if service not in services:
                problems.append(
                    f"{where}: image names {service!r}, which is no service in services/"
                )
                continue
            if service != name:
                problems.append(f"{where}: runs the {service} image in the {name} Deployment")
            if match["tag"] == "latest":
                problems.append(f"{where}: image tag latest")
            script = f"bancone-{service}"
            if script not in console_scripts(service):
                problems.append(f"{where}: services/{service} declares no console script {script}")
            entrypoint = dockerfile_entrypoint(service)
            if entrypoint != [script]:
                problems.append(
                    f"{where}: deploy/docker/{service}.Dockerfile ENTRYPOINT is {entrypoint}"
                )
            command = container.get("command")
            if command and command != [script]:
                problems.append(f"{where}: command {command} overrides the entry point {script}")
            expected = (
                ["migrate"]
                if container in pod_spec(workload).get("initContainers", [])
                else ["serve"]
            )
            if container.get("args") != expected:
                problems.append(f"{where}: args {container.get('args')} are not {expected}")
    return problems


def dockerfile_entrypoint(service: str) -> list[str] | None:
    path = DOCKER_DIR / f"{service}.Dockerfile"
    if not path.exists():
        return None
    found = re.findall(r"^ENTRYPOINT\s+(\[.*\])\s*$", path.read_text(), re.MULTILINE)
    if not found:
        return None
    return [part.strip().strip('"') for part in found[-1].strip("[]").split(",")]


# --------------------------------------------------------------------------- Kafka topics


def topic_problems(docs: list[Doc], *, replicas: int, min_insync: int) -> list[str]:
    """One KafkaTopic per `ALL_TOPICS` entry and no other, with its partitions, compaction,
    replication and `min.insync.replicas`; dead-letter topics never compacted."""
    problems: list[str] = []
    specs = {spec.name: spec for spec in ALL_TOPICS}
    declared: dict[str, Doc] = {}
    for doc in by_kind(docs, "KafkaTopic"):
        name = doc["spec"].get("topicName") or doc["metadata"]["name"]
        if name in declared:
            problems.append(f"topic {name} has two KafkaTopics")
        declared[name] = doc
        if doc["metadata"].get("labels", {}).get("strimzi.io/cluster") != KAFKA_CLUSTER:
            problems.append(
                f"KafkaTopic {name} is not labelled for the Kafka cluster {KAFKA_CLUSTER}"
            )
    for name in sorted(set(specs) - set(declared)):
        problems.append(f"topic {name} (bancone_contracts) has no KafkaTopic")
    for name in sorted(set(declared) - set(specs)):
        problems.append(f"KafkaTopic {name} is not a topic of bancone_contracts")
    for name in sorted(set(specs) & set(declared)):
        spec, doc = specs[name], declared[name]["spec"]
        config = doc.get("config") or {}
        if doc.get("partitions") != spec.partitions:
            problems.append(
                f"topic {name}: {doc.get('partitions')} partitions, contracts say {spec.partitions}"
            )
        compacted = "compact" in str(config.get("cleanup.policy", "delete"))
        if compacted != spec.compacted:
            problems.append(f"topic {name}: compaction {compacted}, contracts say {spec.compacted}")
        if doc.get("replicas") != replicas:
            problems.append(f"topic {name}: replicas {doc.get('replicas')}, expected {replicas}")
        if int(config.get("min.insync.replicas", 1)) != min_insync:
            problems.append(
                f"topic {name}: min.insync.replicas {config.get('min.insync.replicas')}, expected {min_insync}"
            )
        if not compacted and "retention.ms" not in config:
            problems.append(f"topic {name}: no retention.ms")
    return problems


def kafka_brokers(docs: list[Doc]) -> int:
    return sum(
        pool["spec"]["replicas"]
        for pool in by_kind(docs, "KafkaNodePool")
        if "broker" in pool["spec"].get("roles", [])
    )


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


def kafka_client_problems(docs: list[Doc]) -> list[str]:
    """Services speak the listener's language: TLS + SCRAM with their own KafkaUser's password
    and the cluster CA when it authenticates, nothing of the sort when it does not."""
    listener = kafka_listener(docs)
    scram = (listener.get("authentication") or {}).get("type") == "scram-sha-512"
    problems: list[str] = []
    if scram and not listener.get("tls"):
        problems.append("the SCRAM listener is not TLS: passwords would cross the network in clear")
    for workload in by_kind(docs, "Deployment"):
        service = workload["metadata"]["name"]
        if service not in service_names():
            continue
        prefix = f"BANCONE_{service.upper()}_"
        for container in all_containers(workload):
            env = resolve_env(docs, container).values
            where = f"{service} container {container['name']}"
            names = {f"{prefix}{n.upper()}" for n in KIT_PENDING}
            if not scram:
                problems += [
                    f"{where}: sets {n}, but the listener has no SCRAM"
                    for n in sorted(names & set(env))
                ]
                continue
            expected = {
                f"{prefix}KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                f"{prefix}KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
                f"{prefix}KAFKA_SASL_USERNAME": f"bancone-{service}",
                f"{prefix}KAFKA_SASL_PASSWORD": FromSecret(f"bancone-{service}", "password"),
            }
            for name, value in expected.items():
                if env.get(name) != value:
                    problems.append(f"{where}: {name} is {env.get(name)!r}, expected {value!r}")
            cafile = env.get(f"{prefix}KAFKA_SSL_CAFILE")
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
            mounted = [
                volumes.get(name, {}).get("secret", {}).get("secretName")
                for path, name in mounts.items()
                if isinstance(cafile, str) and cafile.startswith(path.rstrip("/") + "/")
            ]
            if mounted != [f"{KAFKA_CLUSTER}-cluster-ca-cert"]:
                problems.append(
                    f"{where}: KAFKA_SSL_CAFILE {cafile!r} is not in the mounted cluster CA"
                )
    return problems


# --------------------------------------------------------------------------- Kafka ACLs


def subscriptions(service: str) -> list[tuple[str, str]]:
    """(topic, consumer group) pairs the service's consumers subscribe, from its code."""
    try:
        module = importlib.import_module(f"bancone_{service}.entrypoints.consumers")
    except ModuleNotFoundError:
        return []
    return [(s.topic, s.group) for s in getattr(module, "SUBSCRIPTIONS", ())]


def expected_acls(service: str) -> set[tuple[str, str, str]]:
    """(resource type, name, operation): read own topics and groups, write own topics and the
    dead-letter topics of what it consumes. Describe comes with each."""
    acls: set[tuple[str, str, str]] = set()
    for topic, group in subscriptions(service):
        acls |= {("topic", topic, "Read"), ("topic", topic, "Describe")}
        acls |= {("group", group, "Read"), ("group", group, "Describe")}
        acls |= {("topic", topic + DLQ_SUFFIX, "Write"), ("topic", topic + DLQ_SUFFIX, "Describe")}
    for topic in PRODUCES.get(service, set()):
        acls |= {("topic", topic, "Write"), ("topic", topic, "Describe")}
    return acls


def kafka_acl_problems(docs: list[Doc]) -> list[str]:
    """Every service has a KafkaUser whose ACLs are exactly its own topics and groups."""
    problems: list[str] = []
    for spec in EVENT_TOPICS:
        if not any(spec.name in produced for produced in PRODUCES.values()):
            problems.append(f"topic {spec.name}: no service is listed as its producer (PRODUCES)")
    for service in service_names():
        user = find(docs, "KafkaUser", f"bancone-{service}")
        if user is None:
            problems.append(f"service {service} has no KafkaUser bancone-{service}")
            continue
        granted: set[tuple[str, str, str]] = set()
        for acl in user["spec"].get("authorization", {}).get("acls", []):
            resource = acl["resource"]
            if resource.get("patternType", "literal") != "literal":
                problems.append(f"KafkaUser bancone-{service}: a {resource.get('patternType')} ACL")
            operations = acl.get("operations") or [acl.get("operation")]
            granted |= {(resource["type"], resource.get("name", "*"), op) for op in operations}
        expected = expected_acls(service)
        for acl in sorted(granted - expected):
            problems.append(f"KafkaUser bancone-{service}: grants {acl} it does not need")
        for acl in sorted(expected - granted):
            problems.append(f"KafkaUser bancone-{service}: lacks {acl}")
        if (user["spec"].get("authentication") or {}).get("type") != "scram-sha-512":
            problems.append(f"KafkaUser bancone-{service}: not SCRAM-SHA-512")
    return problems


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class FromSecret:
    """An environment variable whose value a Secret key gives at run time."""

    name: str
    key: str
    optional: bool = False


@dataclass
class ResolvedEnv:
    """A container's environment as the kubelet would build it, secrets left symbolic."""

    values: dict[str, str | FromSecret] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # "configmap" | "literal" | "secret"
    references: dict[str, set[str]] = field(default_factory=dict)  # var -> $(VARS) it uses
    problems: list[str] = field(default_factory=list)


def resolve_env(docs: list[Doc], container: Doc) -> ResolvedEnv:
    env = ResolvedEnv()
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            config_map = find(docs, "ConfigMap", name)
            if config_map is None:
                env.problems.append(f"envFrom ConfigMap {name} is not in the manifests")
                continue
            for key, value in (config_map.get("data") or {}).items():
                env.values[key], env.origin[key] = str(value), "configmap"
        if "secretRef" in source:
            env.problems.append(
                "envFrom secretRef hides which settings it provides: use secretKeyRef"
            )
    for item in container.get("env", []):
        name = item["name"]
        if "value" in item:
            value = str(item["value"])
            used = set(re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", value))
            env.values[name], env.origin[name], env.references[name] = value, "literal", used
            for ref in used - set(env.values):
                env.problems.append(f"{name} uses $({ref}), which is not defined before it")
        elif "secretKeyRef" in (item.get("valueFrom") or {}):
            ref = item["valueFrom"]["secretKeyRef"]
            env.values[name] = FromSecret(ref["name"], ref["key"], bool(ref.get("optional")))
            env.origin[name] = "secret"
        elif "configMapKeyRef" in (item.get("valueFrom") or {}):
            ref = item["valueFrom"]["configMapKeyRef"]
            config_map = find(docs, "ConfigMap", ref["name"]) or {}
            value = (config_map.get("data") or {}).get(ref["key"])
            if value is None:
                env.problems.append(f"{name}: ConfigMap {ref['name']} has no key {ref['key']}")
                continue
            env.values[name], env.origin[name] = str(value), "configmap"
    return env


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"bancone_{service}.settings")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value is not ServiceSettings
        and value.__module__ == module.__name__
    ]
    if len(classes) != 1:
        raise LookupError(f"bancone_{service}.settings defines {len(classes)} settings classes")
    return classes[0]


def env_names(cls: type[ServiceSettings], field_name: str) -> set[str]:
    """The environment variables pydantic-settings reads a field from (case-insensitive)."""
    info = cls.model_fields[field_name]
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return {c.upper() for c in alias.choices if isinstance(c, str)}
    if isinstance(alias, str):
        return {alias.upper()}
    prefix = str(cls.model_config.get("env_prefix") or "")
    return {f"{prefix}{field_name}".upper()}


def is_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(is_secret(a) for a in get_args(annotation))
    return False


def required_settings(service: str) -> set[str]:
    """Fields without a default, non-optional secrets (their defaults are dev-only and refused
    outside dev), and the settings whose defaults only suit one machine."""
    cls = settings_class(service)
    required = {
        name
        for name, info in cls.model_fields.items()
        if info.is_required() or info.annotation is SecretStr
    }
    return required | CLUSTER_REQUIRED["*"] | CLUSTER_REQUIRED.get(service, set())


def settings_problems(docs: list[Doc], *, environment: str) -> list[str]:
    problems: list[str] = []
    for workload in by_kind(docs, "Deployment"):
        service = workload["metadata"]["name"]
        if service not in service_names():
            continue
        containers = all_containers(workload)
        envs = [resolve_env(docs, c) for c in containers]
        for container, env in zip(containers, envs, strict=True):
            where = f"{service} container {container['name']}"
            problems += [f"{where}: {p}" for p in env.problems]
            problems += [f"{where}: {p}" for p in _settings_of(service, env, container)]
            problems += [f"{where}: {p}" for p in _loads(docs, service, env, environment, workload)]
        if len({repr(sorted(e.values.items(), key=str)) for e in envs}) > 1:
            problems.append(f"{service}: the migrate and serve containers read different settings")
    return problems


def _settings_of(service: str, env: ResolvedEnv, container: Doc) -> list[str]:
    cls = settings_class(service)
    problems: list[str] = []
    accepted: dict[str, str] = {}
    for name in cls.model_fields:
        for variable in env_names(cls, name):
            accepted[variable] = name
    prefix = str(cls.model_config.get("env_prefix") or "").upper()
    pending = {f"{prefix}{name}".upper(): name for name in KIT_PENDING}
    helpers = set().union(*env.references.values()) if env.references else set()
    provided: set[str] = set()
    for variable, value in env.values.items():
        upper = variable.upper()
        if upper in accepted:
            name = accepted[upper]
            if (
                isinstance(value, FromSecret)
                and value.optional
                and name in required_settings(service)
            ):
                problems.append(f"{variable} is required but its secretKeyRef is optional")
            provided.add(name)
            secret = is_secret(cls.model_fields[name].annotation)
            if secret and env.origin[variable] != "secret":
                problems.append(f"{variable} is a secret but comes from a {env.origin[variable]}")
            if not secret and env.origin[variable] == "literal" and name == "database_url":
                refs = env.references.get(variable, set())
                if not refs or not all(env.origin.get(r) == "secret" for r in refs):
                    problems.append(f"{variable} must take its password from a Secret")
        elif upper in pending:
            continue  # awaiting the kit; reported by `pending_kit_settings`
        elif variable in helpers:
            if env.origin.get(variable) != "secret":
                problems.append(f"{variable} only composes other values but is not from a Secret")
        else:
            problems.append(f"{variable} is read by no setting of {cls.__name__} (typo?)")
    for name in sorted(required_settings(service) - provided):
        problems.append(
            f"setting {name} ({' or '.join(sorted(env_names(cls, name)))}) has no value"
        )
    for variable in env.values:
        if env.origin.get(variable) == "configmap" and re.search(
            r"(TOKEN|KEYRING|PASSWORD|API_KEY|SECRET)$", variable.upper()
        ):
            problems.append(f"{variable} looks secret but comes from a ConfigMap")
    return problems


def pending_kit_settings(docs: list[Doc]) -> dict[str, set[str]]:
    """Per service, the Kafka client variables the manifests set that the kit cannot read yet."""
    pending: dict[str, set[str]] = {}
    for workload in by_kind(docs, "Deployment"):
        service = workload["metadata"]["name"]
        if service not in service_names():
            continue
        cls = settings_class(service)
        prefix = str(cls.model_config.get("env_prefix") or "").upper()
        env = resolve_env(docs, main_container(workload))
        unread = {
            name
            for name in KIT_PENDING
            if f"{prefix}{name}".upper() in env.values and name not in cls.model_fields
        }
        if unread:
            pending[service] = unread
    return pending


def _synthetic_secret(reference: FromSecret) -> str:
    if "keyring" in reference.key:
        return f"k1:{generate_key()}"
    return f"test-{reference.key}-{secrets.token_hex(8)}"


@contextmanager
def _exact_environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _loads(
    docs: list[Doc], service: str, env: ResolvedEnv, environment: str, workload: Doc
) -> list[str]:
    """Load the service's settings class from this environment (secrets replaced by random
    values, `$(VAR)` expanded) and check where it points: its own database, the Kafka
    bootstrap, the port the probes use, the other services' Services."""
    values: dict[str, str] = {}
    for variable, value in env.values.items():
        if isinstance(value, FromSecret):
            if value.optional:
                continue
            values[variable] = _synthetic_secret(value)
        else:
            values[variable] = re.sub(
                r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: values.get(m[1], m[0]), value
            )
    cls = settings_class(service)
    try:
        with _exact_environ(values):
            loaded = cls(_env_file=None)  # type: ignore[call-arg]
    except Exception as error:
        return [f"{cls.__name__} refuses this environment: {error}"]
    problems = []
    if loaded.environment != environment:
        problems.append(f"environment is {loaded.environment}, expected {environment}")
    if loaded.http_host != "0.0.0.0":
        problems.append(f"http_host {loaded.http_host}: probes and peers cannot reach 127.0.0.1")
    ports = {p["containerPort"] for p in main_container(workload).get("ports", [])}
    if loaded.http_port not in ports:
        problems.append(f"http_port {loaded.http_port} is not a container port {sorted(ports)}")
    url = make_url(loaded.database_url)
    if url.get_backend_name() != "postgresql" or url.host != PG_HOST:
        problems.append(f"database_url is {url.get_backend_name()} on {url.host}, not {PG_HOST}")
    if url.database != service or url.username != service:
        problems.append(f"database_url opens {url.username}@{url.database}, not its own {service}")
    if loaded.kafka_bootstrap_servers != kafka_bootstrap(docs):
        problems.append(
            f"kafka_bootstrap_servers {loaded.kafka_bootstrap_servers} is not {kafka_bootstrap(docs)}"
        )
    for name in ("catalog_url", "ingest_url", "qdrant_url"):
        target = getattr(loaded, name, None)
        if target is not None:
            problems += _points_at_service(docs, name, str(target))
    return problems


def _points_at_service(docs: list[Doc], setting: str, url: str) -> list[str]:
    match = re.match(r"^https?://([a-z0-9-]+)(?:\.[a-z0-9.-]+)?:(\d+)/?$", url)
    if not match:
        return [f"{setting} {url} is not http://<service>:<port>"]
    service = find(docs, "Service", match[1])
    if service is None:
        return [f"{setting} {url}: no Service {match[1]}"]
    if int(match[2]) not in {p["port"] for p in service["spec"]["ports"]}:
        return [f"{setting} {url}: Service {match[1]} has no port {match[2]}"]
    return []


# --------------------------------------------------------------------------- secrets


def secret_references(docs: list[Doc]) -> set[tuple[str, str, bool]]:
    """(Secret, key, optional) that pods, CloudNativePG and KEDA read."""
    refs: set[tuple[str, str, bool]] = set()
    for workload in [*by_kind(docs, "Deployment"), *by_kind(docs, "StatefulSet")]:
        for container in all_containers(workload):
            for item in container.get("env", []):
                ref = (item.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"], bool(ref.get("optional"))))
        for volume in pod_spec(workload).get("volumes", []):
            if "secret" in volume:
                for item in volume["secret"].get("items", []):
                    refs.add((volume["secret"]["secretName"], item["key"], False))
    for cluster in by_kind(docs, "Cluster"):
        for role in cluster["spec"].get("managed", {}).get("roles", []):
            name = role["passwordSecret"]["name"]
            refs |= {(name, "username", False), (name, "password", False)}
    for auth in by_kind(docs, "TriggerAuthentication"):
        for ref in auth["spec"].get("secretTargetRef", []):
            refs.add((ref["name"], ref["key"], False))
    return refs


def operator_made_secrets(docs: list[Doc]) -> set[str]:
    """Secrets the operators write themselves: one per KafkaUser and the cluster CA's."""
    made = {user["metadata"]["name"] for user in by_kind(docs, "KafkaUser")}
    made |= {f"{kafka['metadata']['name']}-cluster-ca-cert" for kafka in by_kind(docs, "Kafka")}
    return made


def missing_secrets(docs: list[Doc]) -> set[tuple[str, str]]:
    """Referenced (Secret, key) pairs that neither the manifests nor an operator provide."""
    rendered: dict[str, set[str]] = {}
    for secret in by_kind(docs, "Secret"):
        keys = set(secret.get("data") or {}) | set(secret.get("stringData") or {})
        rendered[secret["metadata"]["name"]] = keys
    made = operator_made_secrets(docs)
    return {
        (name, key)
        for name, key, optional in secret_references(docs)
        if name not in made and not optional and key not in rendered.get(name, set())
    }


# --------------------------------------------------------------------------- network flows


@dataclass(frozen=True)
class Endpoint:
    """A pod (or address) traffic can come from or go to, and the ports it listens on."""

    name: str
    namespace: str | None  # None: outside the cluster
    labels: tuple[tuple[str, str], ...] = ()
    ip: str = "10.0.0.1"
    ports: tuple[tuple[int, str], ...] = ()

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def endpoints(docs: list[Doc], namespace: str) -> list[Endpoint]:
    """Bancone's pods (from the rendered workloads), the engines' pods as their operators label
    them, and the peers outside the namespace that DESIGN.md names."""
    found = []
    for number, workload in enumerate(
        [*by_kind(docs, "Deployment"), *by_kind(docs, "StatefulSet")]
    ):
        labels = workload["spec"]["template"]["metadata"].get("labels", {})
        ports = tuple(
            (p["containerPort"], p.get("protocol", "TCP"))
            for c in pod_spec(workload)["containers"]
            for p in c.get("ports", [])
        )
        found.append(
            Endpoint(
                workload["metadata"]["name"],
                namespace,
                tuple(sorted(labels.items())),
                f"10.1.0.{number + 1}",
                ports,
            )
        )
    for kafka in by_kind(docs, "Kafka"):
        labels = {
            "strimzi.io/cluster": kafka["metadata"]["name"],
            "strimzi.io/kind": "Kafka",
            "strimzi.io/broker-role": "true",
            "strimzi.io/controller-role": "true",
        }
        found.append(
            Endpoint(
                "kafka",
                namespace,
                tuple(sorted(labels.items())),
                "10.2.0.1",
                ((9093, "TCP"), (9090, "TCP"), (9091, "TCP")),
            )
        )
    for cluster in by_kind(docs, "Cluster"):
        labels = {"cnpg.io/cluster": cluster["metadata"]["name"], "cnpg.io/instanceRole": "primary"}
        found.append(
            Endpoint(
                "postgres",
                namespace,
                tuple(sorted(labels.items())),
                "10.3.0.1",
                ((5432, "TCP"), (8000, "TCP")),
            )
        )
    outside = [
        ("ingress", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, ()),
        ("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, ()),
        (
            "otel",
            "observability",
            {"app.kubernetes.io/name": "opentelemetry-collector"},
            ((4318, "TCP"), (4317, "TCP")),
        ),
        ("keda", "keda", {"app": "keda-operator"}, ()),
        ("strimzi-operator", "strimzi", {"name": "strimzi-cluster-operator"}, ()),
        ("cnpg-operator", "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}, ()),
        ("dns", "kube-system", {"k8s-app": "kube-dns"}, ((53, "UDP"), (53, "TCP"))),
        ("other-namespace", "default", {"app": "anything"}, ((8080, "TCP"),)),
    ]
    for number, (name, ns, labels, ports) in enumerate(outside):
        found.append(
            Endpoint(name, ns, tuple(sorted(labels.items())), f"10.9.0.{number + 1}", ports)
        )
    found.append(Endpoint("internet", None, (), "157.240.0.1", ((443, "TCP"), (80, "TCP"))))
    return found


def _peer_matches(peer: Doc, policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.ip)
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(e) for e in block.get("except", []))
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": other.namespace}
        if not labels_match(peer["namespaceSelector"], namespace_labels):
            return False
    elif other.namespace != policy_namespace:
        return False
    if "podSelector" in peer:
        return labels_match(peer["podSelector"], other.label_map)
    return True


def _port_matches(rule: Doc, port: int, protocol: str) -> bool:
    if not rule.get("ports"):
        return True
    for item in rule["ports"]:
        if item.get("protocol", "TCP") != protocol:
            continue
        if "port" not in item:
            return True
        start = item["port"]
        if not isinstance(start, int):
            raise ValueError(f"named port {start!r} in a NetworkPolicy: use numbers")
        if start <= port <= item.get("endPort", start):
            return True
    return False


def _allowed(
    policies: list[Doc],
    namespace: str,
    direction: str,
    pod: Endpoint,
    other: Endpoint,
    port: int,
    protocol: str,
) -> bool:
    """Whether `pod`'s policies let traffic `direction` (Ingress from / Egress to) `other`."""
    if pod.namespace != namespace:
        return True  # we do not model other namespaces' policies
    selecting = [
        p
        for p in policies
        if direction in p["spec"].get("policyTypes", ["Ingress"])
        and (not p["spec"]["podSelector"] or labels_match(p["spec"]["podSelector"], pod.label_map))
    ]
    if not selecting:
        return True
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            peer_ok = peers is None or any(_peer_matches(p, namespace, other) for p in peers)
            if peer_ok and _port_matches(rule, port, protocol):
                return True
    return False


def allowed_flows(docs: list[Doc], namespace: str) -> set[tuple[str, str, int]]:
    """Every (source, destination, port) the NetworkPolicies let through."""
    policies = by_kind(docs, "NetworkPolicy")
    flows = set()
    nodes = endpoints(docs, namespace)
    for source in nodes:
        for target in nodes:
            if source.namespace != namespace and target.namespace != namespace:
                continue
            for port, protocol in target.ports:
                if _allowed(
                    policies, namespace, "Egress", source, target, port, protocol
                ) and _allowed(policies, namespace, "Ingress", target, source, port, protocol):
                    flows.add((source.name, target.name, port))
    return flows


def design_flows(docs: list[Doc]) -> set[tuple[str, str, int]]:
    """The flows of DESIGN.md (plus what the engines need to run), as (source, target, port)."""
    ports = {
        w["metadata"]["name"]: main_container(w)["ports"][0]["containerPort"]
        for w in by_kind(docs, "Deployment")
    }
    flows = {
        ("ingress", "gateway", ports["gateway"]),
        ("agent", "catalog", ports["catalog"]),
        ("agent", "ingest", ports["ingest"]),
        ("agent", "internet", 443),  # the LLM (OpenAI-compatible, HTTPS)
        ("notifier", "internet", 443),  # Meta's Graph API
        ("ingest", "qdrant", 6333),
        ("keda", "kafka", 9093),  # consumer-group lag
        # the engines among themselves, with their operators and the Kubernetes API
        ("kafka", "kafka", 9093),
        ("kafka", "kafka", 9090),
        ("kafka", "kafka", 9091),
        ("strimzi-operator", "kafka", 9093),
        ("strimzi-operator", "kafka", 9090),
        ("strimzi-operator", "kafka", 9091),
        ("kafka", "internet", 443),
        ("postgres", "postgres", 5432),
        ("postgres", "postgres", 8000),
        ("cnpg-operator", "postgres", 5432),
        ("cnpg-operator", "postgres", 8000),
        ("postgres", "internet", 443),
    }
    for service in service_names():
        flows |= {
            (service, "kafka", 9093),
            (service, "postgres", 5432),
            (service, "otel", 4318),
            ("prometheus", service, ports[service]),
        }
    in_namespace = [*ports, "kafka", "postgres", "qdrant"]
    flows |= {(name, "dns", 53) for name in in_namespace}
    return flows


def network_problems(docs: list[Doc], namespace: str) -> list[str]:
    allowed = allowed_flows(docs, namespace)
    expected = design_flows(docs)
    problems = [
        f"allowed but not a flow of DESIGN.md: {f[0]} -> {f[1]}:{f[2]}"
        for f in sorted(allowed - expected)
    ]
    problems += [
        f"a flow of DESIGN.md is blocked: {f[0]} -> {f[1]}:{f[2]}"
        for f in sorted(expected - allowed)
    ]
    return problems


# --------------------------------------------------------------------------- PostgreSQL


def postgres_problems(docs: list[Doc]) -> list[str]:
    """One role and one database per service, owned by it; pg_hba admits each role to its
    own database only and rejects the rest."""
    problems: list[str] = []
    clusters = by_kind(docs, "Cluster")
    if len(clusters) != 1:
        return [f"expected one CloudNativePG Cluster, found {len(clusters)}"]
    cluster = clusters[0]
    roles = {r["name"]: r for r in cluster["spec"].get("managed", {}).get("roles", [])}
    databases = {d["spec"]["name"]: d["spec"] for d in by_kind(docs, "Database")}
    hba = [
        " ".join(line.split()) for line in cluster["spec"].get("postgresql", {}).get("pg_hba", [])
    ]
    for service in service_names():
        role = roles.get(service)
        if role is None or role.get("ensure", "present") != "present" or not role.get("login"):
            problems.append(f"{service}: no login role")
        elif role.get("superuser") or role.get("createrole") or role.get("bypassrls"):
            problems.append(f"{service}: its role has more than it needs")
        elif role.get("passwordSecret", {}).get("name") != f"{service}-db":
            problems.append(f"{service}: its role's password is not the Secret {service}-db")
        database = databases.get(service)
        if database is None or database.get("owner") != service:
            problems.append(f"{service}: no database {service} owned by {service}")
        elif database.get("cluster", {}).get("name") != cluster["metadata"]["name"]:
            problems.append(f"{service}: its Database is on another cluster")
        admits = [
            line for line in hba if line.split()[2:3] == [service] and not line.endswith("reject")
        ]
        if admits != [f"hostssl {service} {service} all scram-sha-256"]:
            problems.append(
                f"{service}: pg_hba admits it by {admits}, not to its own database only"
            )
    if not hba or hba[-1] != "host all all all reject":
        problems.append("pg_hba does not end with `host all all all reject`")
    if cluster["spec"].get("enableSuperuserAccess"):
        problems.append("the superuser can log in over the network")
    return problems


# --------------------------------------------------------------------------- autoscaling


def autoscaling_problems(docs: list[Doc]) -> list[str]:
    """KEDA scales each consumer on exactly its (topic, group) subscriptions, never beyond the
    partitions; the gateway has a CPU HPA; autoscaled Deployments leave replicas alone."""
    problems: list[str] = []
    partitions = {spec.name: spec.partitions for spec in ALL_TOPICS}
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in by_kind(docs, "ScaledObject")}
    for service in service_names():
        subs = set(subscriptions(service))
        if not subs:
            continue
        scaled_object = scaled.get(service)
        if scaled_object is None:
            problems.append(f"{service}: consumes Kafka but has no ScaledObject")
            continue
        triggers = {
            (t["metadata"]["topic"], t["metadata"]["consumerGroup"])
            for t in scaled_object["spec"]["triggers"]
            if t["type"] == "kafka"
        }
        if triggers != subs:
            problems.append(
                f"{service}: ScaledObject watches {sorted(triggers)}, code subscribes {sorted(subs)}"
            )
        most = max(partitions.get(topic, 0) for topic, _ in subs)
        if scaled_object["spec"].get("maxReplicaCount", 100) > most:
            problems.append(f"{service}: maxReplicaCount above its topics' {most} partitions")
        for trigger in scaled_object["spec"]["triggers"]:
            if trigger["metadata"].get("bootstrapServers") != kafka_bootstrap(docs):
                problems.append(
                    f"{service}: a trigger reads lag from {trigger['metadata'].get('bootstrapServers')}"
                )
    reader = find(docs, "KafkaUser", "bancone-keda")
    wanted = {
        (kind, name, "Describe")
        for service in service_names()
        for topic, group in subscriptions(service)
        for kind, name in (("topic", topic), ("group", group))
    }
    granted = {
        (acl["resource"]["type"], acl["resource"]["name"], operation)
        for acl in ((reader or {}).get("spec", {}).get("authorization", {}).get("acls", []))
        for operation in acl.get("operations", [])
    }
    if granted != wanted:
        problems.append(
            f"KafkaUser bancone-keda: grants {sorted(granted - wanted)} beyond and lacks "
            f"{sorted(wanted - granted)} of describing the consumed topics and groups"
        )
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in by_kind(docs, "HorizontalPodAutoscaler")}
    if "gateway" not in hpas:
        problems.append("gateway: no HorizontalPodAutoscaler")
    for workload in by_kind(docs, "Deployment"):
        name = workload["metadata"]["name"]
        if (name in scaled or name in hpas) and "replicas" in workload["spec"]:
            problems.append(f"{name}: autoscaled, yet its Deployment sets replicas")
    return problems


def monitoring_problems(docs: list[Doc]) -> list[str]:
    """A ServiceMonitor per service scraping /metrics on its Service's HTTP port."""
    problems = []
    monitors = by_kind(docs, "ServiceMonitor")
    for service in service_names():
        svc = find(docs, "Service", service)
        labels = (svc or {}).get("metadata", {}).get("labels", {})
        port_names = {p.get("name") for p in (svc or {}).get("spec", {}).get("ports", [])}
        ok = [
            m
            for m in monitors
            if labels_match(m["spec"]["selector"], labels)
            and any(
                e.get("path") == "/metrics" and e.get("port") in port_names
                for e in m["spec"]["endpoints"]
            )
        ]
        if not ok:
            problems.append(f"{service}: no ServiceMonitor scrapes /metrics on its Service")
    return problems
