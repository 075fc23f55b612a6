"""Settings: each container's environment resolved as the kubelet would, loaded through the
service's own pydantic settings class; and the Secrets the pods read."""

from __future__ import annotations

import importlib
import os
import re
import secrets
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Union, get_args, get_origin

from pydantic import AliasChoices, SecretStr
from sqlalchemy.engine import make_url

from bancone_kit.crypto import generate_key
from bancone_kit.settings import ServiceSettings

from .documents import (
    PG_HOST,
    Doc,
    all_containers,
    by_kind,
    find,
    kafka_bootstrap,
    main_container,
    pod_spec,
    service_names,
)

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
    """A value of the secret's format: keyrings, `name:secret` client lists, strong passwords."""
    if "keyring" in reference.key:
        return f"k1:{generate_key()}"
    if reference.key == "service-clients":
        return f"agent:{secrets.token_urlsafe(24)}"
    if "password" in reference.key:
        return secrets.token_urlsafe(24)
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
