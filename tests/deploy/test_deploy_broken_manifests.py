"""A broken manifest makes the checks fail: each test breaks one thing in a copy of the
rendered prod overlay (or of the kustomize tree) and expects the policy to name it."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
Docs = list[dict[str, Any]]


@pytest.fixture
def prod(rendered: dict[str, Docs]) -> Docs:
    return copy.deepcopy(rendered["prod"])


def deployment(docs: Docs, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name)


def container(docs: Docs, name: str) -> dict[str, Any]:
    return next(
        c
        for c in deployment(docs, name)["spec"]["template"]["spec"]["containers"]
        if c["name"] == name
    )


def test_a_missing_readiness_probe_fails(prod: Docs, policy: ModuleType) -> None:
    del container(prod, "agent")["readinessProbe"]
    assert policy.workload_problems(prod) == ["Deployment agent: no HTTP readinessProbe"]


def test_a_liveness_probe_on_the_wrong_path_fails(prod: Docs, policy: ModuleType) -> None:
    container(prod, "notifier")["livenessProbe"]["httpGet"]["path"] = "/readyz"
    assert any("notifier: livenessProbe path /readyz" in p for p in policy.workload_problems(prod))


def test_a_container_without_limits_or_with_a_writable_root_fails(
    prod: Docs, policy: ModuleType
) -> None:
    gateway = container(prod, "gateway")
    del gateway["resources"]["limits"]
    gateway["securityContext"]["readOnlyRootFilesystem"] = False
    problems = policy.workload_problems(prod)
    assert "Deployment gateway container gateway: no limits.cpu" in problems
    assert "Deployment gateway container gateway: readOnlyRootFilesystem is not true" in problems


def test_a_topic_without_kafka_topic_fails(prod: Docs, policy: ModuleType) -> None:
    prod[:] = [
        d
        for d in prod
        if not (d["kind"] == "KafkaTopic" and d["spec"]["topicName"] == "bancone.status.v1.dlq")
    ]
    assert policy.topic_problems(prod, replicas=3, min_insync=2) == [
        "topic bancone.status.v1.dlq (bancone_contracts) has no KafkaTopic"
    ]


def test_a_kafka_topic_the_contracts_do_not_know_fails(prod: Docs, policy: ModuleType) -> None:
    stray = copy.deepcopy(next(d for d in prod if d["kind"] == "KafkaTopic"))
    stray["metadata"]["name"], stray["spec"]["topicName"] = "bancone-orders-v1", "bancone.orders.v1"
    prod.append(stray)
    assert policy.topic_problems(prod, replicas=3, min_insync=2) == [
        "KafkaTopic bancone.orders.v1 is not a topic of bancone_contracts"
    ]


def test_an_uncompacted_channel_topic_or_a_weak_min_insync_fails(
    prod: Docs, policy: ModuleType
) -> None:
    channel = next(
        d
        for d in prod
        if d["kind"] == "KafkaTopic" and d["spec"]["topicName"] == "bancone.channel.v1"
    )
    channel["spec"]["config"]["cleanup.policy"] = "delete"
    channel["spec"]["config"]["min.insync.replicas"] = 1
    problems = policy.topic_problems(prod, replicas=3, min_insync=2)
    assert "topic bancone.channel.v1: compaction False, contracts say True" in problems
    assert "topic bancone.channel.v1: min.insync.replicas 1, expected 2" in problems


def test_a_setting_without_value_fails(prod: Docs, policy: ModuleType) -> None:
    for item in (
        container(prod, "gateway"),
        *deployment(prod, "gateway")["spec"]["template"]["spec"]["initContainers"],
    ):
        item["env"] = [e for e in item["env"] if e["name"] != "BANCONE_GATEWAY_SECRETS_KEYRING"]
    problems = policy.settings_problems(prod, environment="prod")
    name = "secrets_keyring (BANCONE_GATEWAY_SECRETS_KEYRING)"
    assert f"gateway container gateway: setting {name} has no value" in problems
    assert f"gateway container migrate: setting {name} has no value" in problems


def test_a_cluster_setting_left_at_its_one_machine_default_fails(
    prod: Docs, policy: ModuleType
) -> None:
    config = next(d for d in prod if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "agent")
    del config["data"]["BANCONE_AGENT_HTTP_HOST"]
    problems = policy.settings_problems(prod, environment="prod")
    assert (
        "agent container agent: setting http_host (BANCONE_AGENT_HTTP_HOST) has no value"
        in problems
    )
    assert (
        "agent container agent: http_host 127.0.0.1: probes and peers cannot reach 127.0.0.1"
        in problems
    )


def test_a_secret_in_a_config_map_fails(prod: Docs, policy: ModuleType) -> None:
    config = next(d for d in prod if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "agent")
    config["data"]["BANCONE_AGENT_SERVICE_CLIENT_SECRET"] = "s3cret-in-plain-sight"
    for item in deployment(prod, "agent")["spec"]["template"]["spec"]["containers"]:
        item["env"] = [e for e in item["env"] if e["name"] != "BANCONE_AGENT_SERVICE_CLIENT_SECRET"]
    problems = policy.settings_problems(prod, environment="prod")
    assert (
        "agent container agent: BANCONE_AGENT_SERVICE_CLIENT_SECRET is a secret but comes from "
        "a configmap" in problems
    )


def test_a_misspelt_variable_fails(prod: Docs, policy: ModuleType) -> None:
    config = next(d for d in prod if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "ingest")
    config["data"]["BANCONE_INGEST_QDRANT_ULR"] = config["data"].pop("BANCONE_INGEST_QDRANT_URL")
    problems = policy.settings_problems(prod, environment="prod")
    assert (
        "ingest container ingest: BANCONE_INGEST_QDRANT_ULR is read by no setting of IngestSettings (typo?)"
        in problems
    )


def test_a_service_pointed_at_another_services_database_fails(
    prod: Docs, policy: ModuleType
) -> None:
    for item in deployment(prod, "notifier")["spec"]["template"]["spec"]["containers"]:
        for env in item["env"]:
            if env["name"] == "BANCONE_NOTIFIER_DATABASE_URL":
                env["value"] = env["value"].replace("/notifier", "/agent")
    problems = policy.settings_problems(prod, environment="prod")
    assert any(p.startswith("notifier container notifier: database_url opens") for p in problems)


def test_a_dev_secret_value_in_prod_is_refused_by_the_settings_class(
    prod: Docs, policy: ModuleType
) -> None:
    config = next(
        d for d in prod if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "catalog"
    )
    config["data"]["BANCONE_CATALOG_ENVIRONMENT"] = "dev"
    problems = policy.settings_problems(prod, environment="prod")
    assert "catalog container catalog: environment is dev, expected prod" in problems


def test_an_image_of_no_service_or_a_wrong_command_fails(prod: Docs, policy: ModuleType) -> None:
    container(prod, "agent")["image"] = "registry.example.com/bancone/agnet:0.1.0"
    container(prod, "notifier")["args"] = ["migrate"]
    problems = policy.image_problems(prod)
    assert (
        "Deployment agent container agent: image names 'agnet', which is no service in services/"
        in problems
    )
    assert "Deployment notifier container notifier: args ['migrate'] are not ['serve']" in problems


def test_an_extra_network_flow_fails(prod: Docs, policy: ModuleType) -> None:
    catalog = next(
        d for d in prod if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "catalog"
    )
    catalog["spec"]["egress"].append(
        {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "qdrant"}}}]}
    )
    qdrant = next(
        d for d in prod if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "qdrant"
    )
    qdrant["spec"]["ingress"][0]["from"].append(
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog"}}}
    )
    assert policy.network_problems(prod, "bancone") == [
        "allowed but not a flow of DESIGN.md: catalog -> qdrant:6333"
    ]


def test_a_blocked_design_flow_fails(prod: Docs, policy: ModuleType) -> None:
    agent = next(
        d for d in prod if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "agent"
    )
    agent["spec"]["egress"] = [
        r for r in agent["spec"]["egress"] if r["ports"] != [{"protocol": "TCP", "port": 8082}]
    ]
    assert policy.network_problems(prod, "bancone") == [
        "a flow of DESIGN.md is blocked: agent -> ingest:8082"
    ]


def test_a_pod_no_policy_selects_is_open_to_all(prod: Docs, policy: ModuleType) -> None:
    names = {"default-deny", "qdrant"}
    prod[:] = [
        d for d in prod if not (d["kind"] == "NetworkPolicy" and d["metadata"]["name"] in names)
    ]
    problems = policy.network_problems(prod, "bancone")
    assert "allowed but not a flow of DESIGN.md: other-namespace -> qdrant:6333" in problems
    # The callers' own egress rules still hold: catalog may not reach qdrant either way.
    assert "allowed but not a flow of DESIGN.md: catalog -> qdrant:6333" not in problems


def test_without_default_deny_the_remaining_policies_still_hold(
    prod: Docs, policy: ModuleType
) -> None:
    """Defence in depth: every pod has its own policy, so default-deny alone is not the wall."""
    prod[:] = [
        d
        for d in prod
        if not (d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "default-deny")
    ]
    assert policy.network_problems(prod, "bancone") == []


def test_an_acl_beyond_a_services_own_topics_fails(prod: Docs, policy: ModuleType) -> None:
    user = next(
        d for d in prod if d["kind"] == "KafkaUser" and d["metadata"]["name"] == "bancone-catalog"
    )
    user["spec"]["authorization"]["acls"].append(
        {
            "resource": {"type": "group", "name": "agent", "patternType": "literal"},
            "operations": ["Read"],
        }
    )
    assert policy.kafka_acl_problems(prod) == [
        "KafkaUser bancone-catalog: grants ('group', 'agent', 'Read') it does not need"
    ]


def test_a_shared_database_role_fails(prod: Docs, policy: ModuleType) -> None:
    cluster = next(d for d in prod if d["kind"] == "Cluster")
    cluster["spec"]["postgresql"]["pg_hba"].insert(0, "hostssl agent ingest all scram-sha-256")
    assert any(p.startswith("ingest: pg_hba admits it by") for p in policy.postgres_problems(prod))


def test_a_scaled_object_on_the_wrong_group_fails(prod: Docs, policy: ModuleType) -> None:
    scaled = next(
        d for d in prod if d["kind"] == "ScaledObject" and d["metadata"]["name"] == "ingest"
    )
    scaled["spec"]["triggers"][0]["metadata"]["consumerGroup"] = "ingest-v2"
    assert any(
        p.startswith("ingest: ScaledObject watches") for p in policy.autoscaling_problems(prod)
    )


def test_a_service_without_its_kafka_password_fails(prod: Docs, policy: ModuleType) -> None:
    for item in deployment(prod, "catalog")["spec"]["template"]["spec"]["containers"]:
        item["env"] = [e for e in item["env"] if e["name"] != "BANCONE_CATALOG_KAFKA_SASL_PASSWORD"]
    assert policy.kafka_client_problems(prod) == [
        "catalog container catalog: BANCONE_CATALOG_KAFKA_SASL_PASSWORD is None, "
        "expected FromSecret(name='bancone-catalog', key='password', optional=False)"
    ]


def test_a_lag_reader_that_may_read_messages_fails(prod: Docs, policy: ModuleType) -> None:
    reader = next(
        d for d in prod if d["kind"] == "KafkaUser" and d["metadata"]["name"] == "bancone-keda"
    )
    reader["spec"]["authorization"]["acls"][0]["operations"].append("Read")
    assert any(p.startswith("KafkaUser bancone-keda") for p in policy.autoscaling_problems(prod))


def test_a_probe_removed_from_the_base_fails_the_rendered_overlay(
    tmp_path: Path, render: Callable[[Path], Docs], policy: ModuleType
) -> None:
    """End to end: edit a copy of deploy/k8s, build the prod overlay, run the policy."""
    tree = tmp_path / "k8s"
    shutil.copytree(REPO / "deploy" / "k8s", tree)
    manifest = tree / "base" / "services" / "catalog.yaml"
    text = manifest.read_text()
    start = text.index("          readinessProbe:")
    end = text.index("          lifecycle:")
    manifest.write_text(text[:start] + text[end:])
    assert policy.workload_problems(render(tree / "overlays" / "prod")) == [
        "Deployment catalog: no HTTP readinessProbe"
    ]


def test_an_ingress_publishing_the_platform_api_fails(prod: Docs, policy: ModuleType) -> None:
    ingress = next(d for d in prod if d["kind"] == "Ingress")
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    paths.append({**paths[-1], "path": "/v1", "pathType": "Prefix"})
    problems = policy.ingress_problems(prod)
    assert "ingress publishes /v1 (Prefix)" in problems
    assert "ingress /v1 (Prefix) exposes /v1/platform" in problems
    assert "ingress /v1 (Prefix) exposes /v1/auth/service-token" in problems
