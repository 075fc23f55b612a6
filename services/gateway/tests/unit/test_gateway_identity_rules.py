"""The identity rules without I/O: roles, links, refresh verdicts, password strength, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bancone_gateway.domain.identity import (
    ROLES,
    InvalidEmailError,
    LinkUnusableError,
    RefreshState,
    RefreshVerdict,
    RoleNotGrantableError,
    check_can_grant,
    check_link_usable,
    judge_refresh,
    normalise_email,
)
from bancone_gateway.domain.passwords import WeakPasswordError, check_password_strength
from bancone_gateway.domain.service_clients import ServiceClients, ServiceClientsError
from bancone_gateway.settings import DEV_PLATFORM_PASSWORD, GatewaySettings
from bancone_kit.auth.claims import ROLES as VERIFIER_ROLES
from bancone_kit.crypto import generate_key

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
STRONG = "Tramonto-sul-Lago-di-Garda-1987"


def test_the_domain_and_the_verifier_share_one_role_ladder() -> None:
    assert ROLES == VERIFIER_ROLES


@pytest.mark.parametrize(
    ("granter", "role", "platform", "allowed"),
    [
        ("owner", "owner", False, True),
        ("admin", "admin", False, True),
        ("admin", "owner", False, False),
        ("agent", "viewer", False, False),
        ("viewer", "viewer", False, False),
        (None, "owner", True, True),
        (None, "admin", True, False),
    ],
)
def test_who_may_grant_which_role(
    granter: str | None, role: str, platform: bool, allowed: bool
) -> None:
    if allowed:
        check_can_grant(granter, role, platform=platform)  # type: ignore[arg-type]
    else:
        with pytest.raises(RoleNotGrantableError):
            check_can_grant(granter, role, platform=platform)  # type: ignore[arg-type]


def test_an_invite_link_works_once_and_only_before_it_expires() -> None:
    expires = NOW + timedelta(hours=72)
    check_link_usable(expires, None, NOW)
    with pytest.raises(LinkUnusableError):
        check_link_usable(expires, NOW, NOW + timedelta(minutes=1))
    with pytest.raises(LinkUnusableError):
        check_link_usable(expires, None, expires)


def test_refresh_verdicts_rotate_once_then_flag_reuse() -> None:
    later = NOW + timedelta(days=14)
    assert judge_refresh(RefreshState(later, None, None), NOW) is RefreshVerdict.ROTATE
    assert judge_refresh(RefreshState(later, NOW, None), NOW) is RefreshVerdict.REUSED
    assert judge_refresh(RefreshState(later, None, NOW), NOW) is RefreshVerdict.REUSED
    assert judge_refresh(RefreshState(NOW, None, None), NOW) is RefreshVerdict.EXPIRED


def test_emails_are_normalised_and_checked() -> None:
    assert normalise_email("  Ada@Enoteca.IT ") == "ada@enoteca.it"
    with pytest.raises(InvalidEmailError):
        normalise_email("not-an-email")


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "qwertyuiop", "ada.rossi2024", "x" * 129],
    ids=["short", "common", "keyboard", "own-email", "too-long"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPasswordError):
        check_password_strength(password, ["ada.rossi@enoteca.it"])


def test_a_long_unusual_passphrase_is_accepted() -> None:
    check_password_strength(STRONG, ["ada.rossi@enoteca.it"])


def test_service_clients_parse_and_authenticate_in_constant_time() -> None:
    clients = ServiceClients.parse("agent:" + "s" * 32 + ", ingest:" + "t" * 32)
    assert clients.authenticate("agent", "s" * 32)
    assert not clients.authenticate("agent", "t" * 32)
    assert not clients.authenticate("nobody", "s" * 32)
    assert "s" * 32 not in repr(clients)
    with pytest.raises(ServiceClientsError):
        ServiceClients.parse("agent:short")


def _prod(**values: object) -> GatewaySettings:
    return GatewaySettings(
        environment="prod",
        kafka_security_protocol="SASL_SSL",
        secrets_keyring=f"k1:{generate_key()}",
        channel_keyring=f"c1:{generate_key()}",
        link_keyring=f"l1:{generate_key()}",
        **values,  # type: ignore[arg-type]
    )


def test_outside_dev_the_platform_bootstrap_password_must_be_real_and_strong() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        _prod(platform_bootstrap_password=DEV_PLATFORM_PASSWORD)
    with pytest.raises(ValidationError, match="placeholder"):
        _prod(platform_bootstrap_password="changeme")
    with pytest.raises(ValidationError, match="too weak"):
        _prod(platform_bootstrap_password="password1234")
    assert _prod(platform_bootstrap_password=STRONG).platform_password() is not None


def test_outside_dev_unset_identity_secrets_mean_no_platform_account_and_no_service_clients() -> (
    None
):
    settings = _prod()
    assert settings.platform_password() is None
    assert not settings.service_client_secrets().secrets
    dev = GatewaySettings()
    assert dev.platform_password() is not None
    assert "agent" in dev.service_client_secrets().secrets
