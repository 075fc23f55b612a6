"""Register, rotate, re-enable or leave unchanged: what a channel PUT means."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from bancone_gateway.domain.channels import (
    ChannelCredentials,
    StoredChannel,
    at_rest_aad,
    change_for,
)

pytestmark = pytest.mark.unit


def credentials(**overrides: Any) -> ChannelCredentials:
    values: dict[str, Any] = {
        "verify_token": "verify-123456",
        "app_secret": "app-secret-123456",
        "access_token": "EAAG-access-token",
        **overrides,
    }
    return ChannelCredentials.model_validate(values)


def stored(status: str = "active", **secrets: str) -> StoredChannel:
    values = {
        "verify_token": "verify-123456",
        "app_secret": "app-secret-123456",
        "access_token": "EAAG-access-token",
        **secrets,
    }
    return StoredChannel("demo", "PN1", status, "WABA1", "+39 02", values)  # type: ignore[arg-type]


def test_a_new_number_is_registered() -> None:
    assert change_for(None, credentials()) == "registered"


def test_the_same_secrets_again_change_nothing() -> None:
    assert change_for(stored(), credentials()) == "unchanged"
    assert change_for(stored(), credentials(waba_id="WABA1")) == "unchanged"


@pytest.mark.parametrize("field", ["verify_token", "app_secret", "access_token"])
def test_any_new_secret_is_a_rotation(field: str) -> None:
    assert change_for(stored(), credentials(**{field: "something-new-42"})) == "rotated"


def test_new_metadata_is_a_rotation() -> None:
    assert change_for(stored(), credentials(display_phone_number="+39 06")) == "rotated"


def test_a_disabled_channel_put_again_is_registered_anew() -> None:
    assert change_for(stored("disabled"), credentials()) == "registered"


def test_secrets_are_hidden_in_reprs_and_validation_errors() -> None:
    creds = credentials()
    assert "EAAG" not in repr(creds)
    with pytest.raises(ValidationError) as error:
        credentials(access_token="Zq7-x")
    assert "Zq7-x" not in str(error.value)
    assert isinstance(creds.access_token, SecretStr)


def test_secrets_of_one_channel_are_bound_to_it_and_to_their_field() -> None:
    assert at_rest_aad("PN1", "app_secret") != at_rest_aad("PN2", "app_secret")
    assert at_rest_aad("PN1", "app_secret") != at_rest_aad("PN1", "access_token")
