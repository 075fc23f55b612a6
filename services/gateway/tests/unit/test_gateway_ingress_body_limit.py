"""The Ingress in front of the gateway lets through every body the gateway itself accepts
(Meta sends webhooks up to about 3 MB): a lower proxy limit would refuse them with nginx's
own 413, which Meta retries for days."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bancone_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit

INGRESS = Path(__file__).resolve().parents[4] / "deploy" / "k8s" / "base" / "ingress.yaml"
_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}
META_MAX_WEBHOOK_BYTES = 3 * 1000 * 1000


def nginx_size(value: str) -> int:
    """nginx's size syntax: bytes, or k/m/g (binary multiples)."""
    text = value.strip().lower()
    if text and text[-1] in _UNITS:
        return int(text[:-1]) * _UNITS[text[-1]]
    return int(text)


def test_the_ingress_body_limit_equals_the_gateways() -> None:
    ingresses = [doc for doc in yaml.safe_load_all(INGRESS.read_text()) if doc]
    gateway_limit = GatewaySettings.model_fields["webhook_max_body_bytes"].default
    webhook = [ing for ing in ingresses if _routes_path(ing, "/webhooks/whatsapp")]
    assert webhook, "no Ingress routes the WhatsApp webhook"
    for ingress in ingresses:
        limit = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        assert nginx_size(limit) >= gateway_limit, ingress["metadata"]["name"]
    for ingress in webhook:
        limit = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        assert nginx_size(limit) == gateway_limit
    assert gateway_limit >= META_MAX_WEBHOOK_BYTES


def _routes_path(ingress: dict[str, Any], path: str) -> bool:
    return any(
        entry["path"] == path
        for rule in ingress["spec"]["rules"]
        for entry in rule["http"]["paths"]
    )
