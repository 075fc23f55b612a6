"""Kafka TLS/SASL settings become the broker's security (Strimzi: SASL_SSL + SCRAM-SHA-512)."""

from __future__ import annotations

import pytest
from faststream.security import SASLScram512

from bancone_kit.messaging.broker import kafka_security
from bancone_kit.settings import ServiceSettings

pytestmark = pytest.mark.unit


def test_plaintext_has_no_security() -> None:
    assert kafka_security(ServiceSettings()) is None


def test_sasl_ssl_scram_512_uses_credentials_and_tls() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="agent",
        kafka_sasl_password="s3cr3t-from-strimzi",
    )
    security = kafka_security(settings)
    assert isinstance(security, SASLScram512)
    assert security.username == "agent"
    assert security.password == "s3cr3t-from-strimzi"
    assert security.use_ssl


def test_sasl_without_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="kafka_sasl_username"):
        kafka_security(ServiceSettings(kafka_security_protocol="SASL_SSL"))
