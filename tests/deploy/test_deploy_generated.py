"""The Kafka manifests generated from the contracts (topics, KafkaUsers, KEDA) are committed
as `deploy/tools/gen_topics.py` renders them, and the generator needs no service's code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def test_every_generated_kafka_manifest_is_current(policy: ModuleType) -> None:
    assert policy.generated_problems() == []


def test_a_hand_edited_generated_manifest_is_reported_stale(
    policy: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = policy.load_generator()
    users = REPO / "deploy/k8s/base/kafka/users.yaml"
    edited = tmp_path / "users.yaml"
    edited.write_text(users.read_text().replace("name: agent-delivery", "name: agent-deliveries"))
    monkeypatch.setattr(generator, "GENERATED", {edited: generator.GENERATED[users]})

    assert generator.stale() == [edited]


def test_the_generated_acls_and_triggers_are_exactly_the_declared_subscriptions(
    policy: ModuleType,
) -> None:
    access = policy.load_generator().gen_kafka_access
    docs = [
        *yaml.safe_load_all(access.render_users()),
        *yaml.safe_load_all(access.render_scaled_objects()),
        *yaml.safe_load_all(access.render_lag_reader()),
    ]
    kafka = {"kind": "Kafka", "metadata": {"name": "bancone"}}
    kafka["spec"] = {"kafka": {"listeners": [{"port": 9093}]}}
    docs.append(kafka)

    assert policy.kafka_acl_problems(docs) == []
    assert [
        p for p in policy.autoscaling_problems(docs) if "HorizontalPodAutoscaler" not in p
    ] == []


def test_the_generator_imports_no_service_package() -> None:
    probe = (
        "import runpy, sys; runpy.run_path('deploy/tools/gen_topics.py', run_name='probe'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'bancone_gateway', 'bancone_catalog', 'bancone_ingest', 'bancone_agent', "
        "'bancone_notifier', 'bancone_kit'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
