"""The agent's keyring and LLM host allow-list, and objects that hold secrets without showing
them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bancone_agent.adapters.config_store import ConfigSecrets
from bancone_agent.adapters.llm_client import Endpoint, LlmOptions, endpoint_for
from bancone_agent.bootstrap import config_secrets
from bancone_agent.domain.config import AgentConfig, LlmOverride
from bancone_agent.settings import AgentSettings
from bancone_kit.crypto import DEV_AGENT_KEYRING, generate_key

pytestmark = [pytest.mark.unit, pytest.mark.filterwarnings("ignore::UserWarning")]

PROD = {
    "environment": "prod",
    "kafka_security_protocol": "SASL_SSL",
    "service_client_secret": "s" * 40,
    "jwks_url": "https://gateway.internal/.well-known/jwks.json",
    "secrets_keyring": f"prod-1:{generate_key()}",
}


def test_outside_dev_the_dev_agent_keyring_is_refused() -> None:
    with pytest.raises(ValidationError, match="secrets_keyring"):
        AgentSettings(**{**PROD, "secrets_keyring": DEV_AGENT_KEYRING})
    renamed = "mine:" + DEV_AGENT_KEYRING.partition(":")[2]
    with pytest.raises(ValidationError, match="secrets_keyring holds the dev key"):
        AgentSettings(**{**PROD, "secrets_keyring": f"prod-2:{generate_key()},{renamed}"})
    assert AgentSettings(**PROD).environment == "prod"


def test_a_malformed_keyring_is_refused() -> None:
    with pytest.raises(ValidationError, match="secrets_keyring"):
        AgentSettings(environment="dev", secrets_keyring="k1:not-base64")


def test_loopback_is_an_allowed_llm_host_in_dev_only() -> None:
    dev = AgentSettings(environment="dev", llm_allowed_hosts=("vllm.internal:8000",))
    assert {"127.0.0.1", "localhost", "::1", "vllm.internal:8000"} <= dev.trusted_llm_hosts
    prod = AgentSettings(**PROD, llm_allowed_hosts=("[fd00::5]:8000",))
    assert prod.trusted_llm_hosts == frozenset({"fd00::5:8000"})
    assert LlmOptions.from_settings(prod).allowed_hosts == prod.trusted_llm_hosts


def test_nothing_that_holds_a_key_shows_it() -> None:
    settings = AgentSettings(**PROD, llm_api_key="sk-platform-1234")
    options = LlmOptions.from_settings(settings)
    config = AgentConfig(llm=LlmOverride(base_url="https://llm.example/v1", api_key="sk-ten-99"))
    endpoint = endpoint_for(options, config)
    assert isinstance(endpoint, Endpoint)
    secrets = config_secrets(settings)
    assert isinstance(secrets, ConfigSecrets)
    shown = " ".join(repr(x) for x in (settings, options, config, endpoint, secrets))
    for leaked in ("sk-platform-1234", "sk-ten-99", settings.secrets_keyring.get_secret_value()):
        assert leaked not in shown


def test_the_dead_letter_poison_hook_is_dev_only() -> None:
    with pytest.raises(ValidationError, match="dev only"):
        AgentSettings(**PROD, dev_poison_marker="#poison-marker")
    assert AgentSettings(environment="dev", dev_poison_marker="#poison-marker").dev_poison_marker
