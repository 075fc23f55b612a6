"""Kafka: topics as the contracts say, clients speaking the listener's language, each
service's ACLs and KEDA's triggers exactly its declared subscriptions, and the generated
manifests current (`deploy/tools/gen_topics.py`)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from bancone_contracts.subscriptions import PRODUCES, consumer_groups
from bancone_contracts.topics import ALL_TOPICS, DLQ_SUFFIX, EVENT_TOPICS

from .documents import (
    KAFKA_CLUSTER,
    REPO,
    Doc,
    all_containers,
    by_kind,
    find,
    kafka_bootstrap,
    kafka_listener,
    pod_spec,
    service_names,
)
from .settings_env import KIT_PENDING, FromSecret, resolve_env

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
    """(topic, consumer group) pairs the service subscribes: `bancone_contracts.subscriptions`,
    which the services subscribe from (their unit tests say so) and the generator reads."""
    return [(group.topic, group.group) for group in consumer_groups(service)]


def expected_acls(service: str) -> set[tuple[str, str, str]]:
    """(resource type, name, operation): read own topics and groups, write own topics and the
    dead-letter topics of what it consumes (a reader of dead letters writes no DLQ of a DLQ).
    Describe comes with each."""
    acls: set[tuple[str, str, str]] = set()
    for declared in consumer_groups(service):
        topic, group = declared.topic, declared.group
        acls |= {("topic", topic, "Read"), ("topic", topic, "Describe")}
        acls |= {("group", group, "Read"), ("group", group, "Describe")}
        if not declared.dead_letters:
            dlq = topic + DLQ_SUFFIX
            acls |= {("topic", dlq, "Write"), ("topic", dlq, "Describe")}
    for topic in PRODUCES.get(service, ()):
        acls |= {("topic", topic, "Write"), ("topic", topic, "Describe")}
    return acls


def kafka_acl_problems(docs: list[Doc]) -> list[str]:
    """Every service has a KafkaUser whose ACLs are exactly its own topics and groups."""
    problems: list[str] = []
    for spec in EVENT_TOPICS:
        if not any(spec.name in produced for produced in PRODUCES.values()):
            problems.append(
                f"topic {spec.name}: no service is listed as its producer "
                "(bancone_contracts.subscriptions.PRODUCES)"
            )
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


def generated_problems() -> list[str]:
    """The committed Kafka manifests are what `deploy/tools/gen_topics.py` renders today from
    the contracts (topics, KafkaUsers, KEDA ScaledObjects and lag reader)."""
    generator = load_generator()
    return [
        f"{path.relative_to(REPO)} is stale: run `uv run --frozen python deploy/tools/gen_topics.py`"
        for path in generator.stale()
    ]


def load_generator() -> ModuleType:
    """deploy/tools/gen_topics.py (a script, so loaded by path)."""
    name = "bancone_gen_topics"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "deploy/tools/gen_topics.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
