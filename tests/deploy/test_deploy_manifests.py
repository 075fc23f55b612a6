"""The rendered overlays agree with the code: workloads, images, settings, topics, ACLs,
databases, secrets, network flows, autoscaling and monitoring (deploy_policy.py says how)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bancone_contracts.topics import ALL_TOPICS

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = sorted(p.name for p in (REPO / "deploy" / "k8s" / "overlays").iterdir() if p.is_dir())
Docs = list[dict[str, Any]]


def namespace_of(docs: Docs) -> str:
    namespaces = [d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"]
    assert len(namespaces) == 1, "an overlay renders exactly one Namespace"
    return str(namespaces[0])


def test_the_overlays_are_dev_and_prod() -> None:
    assert OVERLAYS == ["dev", "prod"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_lands_in_the_overlay_namespace(
    rendered: dict[str, Docs], overlay: str
) -> None:
    docs = rendered[overlay]
    namespace = namespace_of(docs)
    strays = [
        f"{d['kind']}/{d['metadata']['name']}"
        for d in docs
        if d["kind"] != "Namespace" and d["metadata"].get("namespace") != namespace
    ]
    assert strays == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workloads_have_probes_resources_and_a_locked_down_security_context(
    rendered: dict[str, Docs], policy: ModuleType, overlay: str
) -> None:
    assert policy.workload_problems(rendered[overlay]) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_and_commands_name_real_services_and_their_console_scripts(
    rendered: dict[str, Docs], policy: ModuleType, overlay: str
) -> None:
    assert policy.image_problems(rendered[overlay]) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_required_setting_of_every_service_is_provided_and_loads(
    rendered: dict[str, Docs], policy: ModuleType, overlay: str
) -> None:
    environment = {"dev": "dev", "prod": "prod"}[overlay]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dev settings warn about dev values, by design
        assert policy.settings_problems(rendered[overlay], environment=environment) == []


def test_required_settings_include_every_secret_and_every_field_without_default(
    policy: ModuleType,
) -> None:
    for service in policy.service_names():
        cls = policy.settings_class(service)
        required = policy.required_settings(service)
        for name, info in cls.model_fields.items():
            if info.is_required() or info.annotation is policy.SecretStr:
                assert name in required, f"{service}.{name}"


def test_every_kafka_client_setting_the_manifests_set_is_read_by_the_kit(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    """The TLS + SCRAM listener's client settings (protocol, mechanism, user, password, CA)
    are `ServiceSettings` fields, so `settings_problems` checks them like any other."""
    for overlay, docs in rendered.items():
        assert policy.pending_kit_settings(docs) == {}, overlay
    for workload in policy.by_kind(rendered["prod"], "Deployment"):
        service = workload["metadata"]["name"]
        env = policy.resolve_env(rendered["prod"], policy.main_container(workload)).values
        assert f"BANCONE_{service.upper()}_KAFKA_SECURITY_PROTOCOL" in env, service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_topics_are_exactly_those_of_the_contracts(
    rendered: dict[str, Docs], policy: ModuleType, overlay: str
) -> None:
    docs = rendered[overlay]
    brokers = policy.kafka_brokers(docs)
    replicas, min_insync = (3, 2) if overlay == "prod" else (1, 1)
    assert brokers >= replicas
    assert policy.topic_problems(docs, replicas=replicas, min_insync=min_insync) == []
    names = {d["spec"]["topicName"] for d in docs if d["kind"] == "KafkaTopic"}
    assert names == {spec.name for spec in ALL_TOPICS}


def test_prod_kafka_is_kraft_with_three_nodes_tls_scram_and_acls(rendered: dict[str, Docs]) -> None:
    docs = rendered["prod"]
    kafka = next(d for d in docs if d["kind"] == "Kafka")
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1"
    assert "zookeeper" not in kafka["spec"]
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert all(
        item["tls"] and item["authentication"]["type"] == "scram-sha-512" for item in listeners
    )
    config = kafka["spec"]["kafka"]["config"]
    assert config["min.insync.replicas"] == 2
    assert config["auto.create.topics.enable"] is False
    pools = [d for d in docs if d["kind"] == "KafkaNodePool"]
    assert sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"]) == 3


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_speak_the_kafka_listeners_protocol(
    rendered: dict[str, Docs], policy: ModuleType, overlay: str
) -> None:
    assert policy.kafka_client_problems(rendered[overlay]) == []


def test_in_prod_each_service_reads_and_writes_only_its_own_topics_and_groups(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    assert policy.kafka_acl_problems(rendered["prod"]) == []


def test_dev_kafka_is_plaintext_without_users_so_todays_services_connect(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    docs = rendered["dev"]
    assert policy.kafka_listener(docs) == {
        "name": "plain",
        "port": 9092,
        "type": "internal",
        "tls": False,
        "networkPolicyPeers": [
            {
                "podSelector": {
                    "matchLabels": {
                        "app.kubernetes.io/part-of": "bancone",
                        "app.kubernetes.io/component": "service",
                    }
                }
            }
        ],
    }
    assert "authorization" not in policy.find(docs, "Kafka", "bancone")["spec"]["kafka"]
    assert [d for d in docs if d["kind"] == "KafkaUser"] == []
    assert policy.pending_kit_settings(docs) == {}


def test_acls_follow_the_consumer_groups_in_the_code(policy: ModuleType) -> None:
    groups = {s: {g for _, g in policy.subscriptions(s)} for s in policy.service_names()}
    assert groups["agent"] == {
        "agent",
        "agent-delivery",
        "agent-dead-letters",
        "agent-whatsapp-updates",
        "agent-orders",
    }
    assert groups["notifier"] == {
        "notifier",
        "notifier-status",
        "notifier-channels",
        "notifier-inbound",
        "notifier-whatsapp-updates",
        "notifier-catalog",
        "notifier-orders",
        "notifier-agent-turns",
    }
    assert groups["ingest"] == {"ingest"}
    assert groups["gateway"] == set()
    assert groups["catalog"] == set()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_its_own_database_and_owner_and_no_other(
    rendered: dict[str, Docs], policy: ModuleType, overlay: str
) -> None:
    assert policy.postgres_problems(rendered[overlay]) == []


def test_dev_renders_every_secret_its_pods_and_operators_read(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    assert policy.missing_secrets(rendered["dev"]) == set()


def test_prod_secrets_to_create_are_all_documented(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    """Prod ships no secret values; every Secret key it reads is listed in docs/deploy.md."""
    guide = (REPO / "docs" / "deploy.md").read_text()
    missing = policy.missing_secrets(rendered["prod"])
    assert missing, "prod is expected to read operator-created Secrets"
    undocumented = sorted(
        (name, key)
        for name, key in missing
        if not re.search(rf"`{re.escape(name)}`[^\n]*`{re.escape(key)}`", guide)
    )
    assert undocumented == []


def test_prod_network_policies_allow_exactly_the_design_flows(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    docs = rendered["prod"]
    assert policy.network_problems(docs, namespace_of(docs)) == []


def test_dev_network_policies_allow_exactly_the_design_flows_too(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    """The policies are in the base: dev denies by default as well (issue 9)."""
    docs = rendered["dev"]
    assert [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert policy.network_problems(docs, namespace_of(docs)) == []
    assert ("catalog", "qdrant", 6333) not in policy.allowed_flows(docs, namespace_of(docs))


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_ingress_publishes_no_platform_or_service_route(
    rendered: dict[str, Docs], policy: ModuleType, overlay: str
) -> None:
    assert policy.ingress_problems(rendered[overlay]) == []


def test_prod_autoscales_consumers_on_lag_and_the_gateway_on_cpu(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    assert policy.autoscaling_problems(rendered["prod"]) == []


def test_prod_scrapes_metrics_of_every_service(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    assert policy.monitoring_problems(rendered["prod"]) == []


def test_prod_exports_traces_to_the_collector(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    for service in policy.service_names():
        data = policy.find(rendered["prod"], "ConfigMap", service)["data"]
        prefix = f"BANCONE_{service.upper()}_"
        assert data[prefix + "OTEL_EXPORTER"] == "otlp"
        assert data[prefix + "OTEL_ENDPOINT"].startswith("http://otel-collector.observability")


def test_prod_runs_every_service_at_least_twice_spread_over_nodes(
    rendered: dict[str, Docs], policy: ModuleType
) -> None:
    docs = rendered["prod"]
    minimum = {
        s["spec"]["scaleTargetRef"]["name"]: s["spec"]["minReplicaCount"]
        for s in docs
        if s["kind"] == "ScaledObject"
    }
    minimum |= {
        h["spec"]["scaleTargetRef"]["name"]: h["spec"]["minReplicas"]
        for h in docs
        if h["kind"] == "HorizontalPodAutoscaler"
    }
    for workload in (d for d in docs if d["kind"] == "Deployment"):
        name = workload["metadata"]["name"]
        assert workload["spec"].get("replicas", minimum.get(name, 0)) >= 2, name
        anti = workload["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        terms = anti["preferredDuringSchedulingIgnoredDuringExecution"]
        assert terms[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname", name
        assert terms[0]["podAffinityTerm"]["labelSelector"]["matchLabels"] == {
            "app.kubernetes.io/name": name
        }


def test_dev_runs_one_replica_of_everything(rendered: dict[str, Docs]) -> None:
    docs = rendered["dev"]
    assert {
        d["metadata"]["name"]: d["spec"].get("replicas") for d in docs if d["kind"] == "Deployment"
    } == dict.fromkeys(["agent", "catalog", "gateway", "ingest", "notifier"], 1)
    assert next(d for d in docs if d["kind"] == "Cluster")["spec"]["instances"] == 1


def test_secrets_never_sit_in_config_maps(rendered: dict[str, Docs]) -> None:
    for overlay, docs in rendered.items():
        for config_map in (d for d in docs if d["kind"] == "ConfigMap"):
            for key, value in (config_map.get("data") or {}).items():
                assert not re.search(r"(TOKEN|KEYRING|PASSWORD|API_KEY|SECRET)$", key), (
                    overlay,
                    key,
                )
                assert "@" not in str(value), (overlay, key, "credentials in a URL")
