"""The provisioning API on real PostgreSQL and Kafka: platform (or tenant admin) only, secrets
sealed, never echoed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bancone_contracts.events import ChannelChanged, parse_event
from bancone_contracts.topics import CHANNEL
from bancone_gateway.domain.channels import channel_event_aad
from bancone_kit.crypto import Sealed, SecretBox

pytestmark = pytest.mark.service

SECRETS = {
    "verify_token": "verify-token-Xy7Q",
    "app_secret": "app-secret-Pz81k9",
    "access_token": "EAAG-access-token-Lm4N2",
}


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> AsyncIterator[Any]:
    async with make_gateway() as running:
        yield running


@pytest.fixture
async def tenant(gateway: Any, unique: Callable[[str], str]) -> str:
    tenant_id = unique("shop")
    response = await gateway.client.post(
        "/v1/tenants", json={"id": tenant_id, "name": "Enoteca Bancone"}, headers=gateway.admin
    )
    assert response.status_code == 201, response.text
    return tenant_id


def channel_events(records: list[Any], phone_number_id: str) -> list[ChannelChanged]:
    events = [parse_event(CHANNEL, r.value) for r in records if r.key == phone_number_id.encode()]
    return [e for e in events if isinstance(e, ChannelChanged)]


def assert_no_secret_in(text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    for secret in SECRETS.values():
        assert secret.encode() not in data


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dGVzdA=="])
async def test_the_api_requires_a_bearer_token(gateway: Any, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await gateway.client.post(
        "/v1/tenants", json={"id": "acme", "name": "Acme"}, headers=headers
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_tenant_is_created_once_then_conflicts_and_can_be_read(
    gateway: Any, tenant: str
) -> None:
    again = await gateway.client.post(
        "/v1/tenants", json={"id": tenant, "name": "Other"}, headers=gateway.admin
    )
    assert again.status_code == 409
    got = await gateway.client.get(f"/v1/tenants/{tenant}", headers=gateway.admin)
    assert got.status_code == 200
    assert got.json()["name"] == "Enoteca Bancone"


async def test_put_tenant_creates_then_updates_idempotently(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant_id = unique("seed")
    url = f"/v1/tenants/{tenant_id}"
    first = await gateway.client.put(url, json={"name": "Demo"}, headers=gateway.admin)
    second = await gateway.client.put(url, json={"name": "Demo"}, headers=gateway.admin)
    renamed = await gateway.client.put(url, json={"name": "Demo 2"}, headers=gateway.admin)
    assert [first.status_code, second.status_code, renamed.status_code] == [201, 200, 200]
    assert renamed.json()["name"] == "Demo 2"
    assert await gateway.scalar("SELECT count(*) FROM tenants WHERE id = :id", id=tenant_id) == 1


async def test_an_unknown_tenant_is_404(gateway: Any) -> None:
    response = await gateway.client.get("/v1/tenants/no-such-shop", headers=gateway.admin)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "Not A Slug", "name": "x"}, "id"),
        ({"id": "ok-slug", "name": ""}, "name"),
        ({"id": "ok-slug"}, "name"),
    ],
)
async def test_invalid_tenant_fields_are_422_with_details(
    gateway: Any, body: dict[str, str], field: str
) -> None:
    response = await gateway.client.post("/v1/tenants", json=body, headers=gateway.admin)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_registering_a_channel_seals_its_secrets_and_never_echoes_them(
    gateway: Any,
    tenant: str,
    unique: Callable[[str], str],
    topic_window: Any,
    channel_box: SecretBox,
) -> None:
    channels = await topic_window(CHANNEL)
    pnid = unique("pn")
    url = f"/v1/tenants/{tenant}/channels/{pnid}"

    created = await gateway.client.put(
        url,
        json={**SECRETS, "waba_id": "WABA-1", "display_phone_number": "+39 02 1234"},
        headers=gateway.admin,
    )
    read = await gateway.client.get(url, headers=gateway.admin)

    assert created.status_code == 201
    body = created.json()
    assert body["change"] == "registered"
    assert body["status"] == "active"
    assert body["has_verify_token"]
    assert body["has_app_secret"]
    assert body["has_access_token"]
    assert read.status_code == 200
    for response in (created, read):
        assert_no_secret_in(response.content)
        assert not {"verify_token", "app_secret", "access_token"} & set(response.json())
    stored = await gateway.scalar(
        "SELECT access_token_sealed || app_secret_sealed || verify_token_sealed "
        "FROM channels WHERE phone_number_id = :p",
        p=pnid,
    )
    assert stored
    assert stored.startswith("test-rest:")
    assert_no_secret_in(stored)

    records = await channels.read_until(lambda rs: bool(channel_events(rs, pnid)))
    for record in records:
        assert_no_secret_in(record.value)
        assert_no_secret_in(b"".join(v for _, v in record.headers))
    [event] = channel_events(records, pnid)
    assert event.tenant_id == tenant
    assert event.data.change == "registered"
    assert event.data.waba_id == "WABA-1"
    assert event.data.access_token_ciphertext
    assert event.data.key_id == "test-channel"
    sealed = Sealed(event.data.key_id, event.data.access_token_ciphertext)
    assert channel_box.open_parts(sealed, channel_event_aad(pnid)) == SECRETS["access_token"]


async def test_rotation_publishes_rotated_an_identical_put_nothing_and_delete_disabled(
    gateway: Any,
    tenant: str,
    unique: Callable[[str], str],
    topic_window: Any,
    channel_box: SecretBox,
) -> None:
    channels = await topic_window(CHANNEL)
    pnid = unique("pn")
    url = f"/v1/tenants/{tenant}/channels/{pnid}"
    rotated_secrets = {**SECRETS, "access_token": "EAAG-rotated-token-Qw9"}

    answers = [
        await gateway.client.put(url, json=SECRETS, headers=gateway.admin),
        await gateway.client.put(url, json=rotated_secrets, headers=gateway.admin),
        await gateway.client.put(url, json=rotated_secrets, headers=gateway.admin),
    ]
    deleted = await gateway.client.delete(url, headers=gateway.admin)
    deleted_again = await gateway.client.delete(url, headers=gateway.admin)

    assert [a.status_code for a in answers] == [201, 200, 200]
    assert [a.json()["change"] for a in answers] == ["registered", "rotated", "unchanged"]
    assert [deleted.status_code, deleted_again.status_code] == [204, 204]
    staged = await gateway.scalar("SELECT count(*) FROM outbox WHERE key = :p", p=pnid)
    assert staged == 3, "registered, rotated, disabled: the identical PUT and re-DELETE add none"
    records = await channels.read_until(lambda rs: len(channel_events(rs, pnid)) == 3)
    events = channel_events(records, pnid)
    assert [e.data.change for e in events] == ["registered", "rotated", "disabled"]
    rotated = events[1].data
    assert rotated.key_id
    assert rotated.access_token_ciphertext
    assert channel_box.open_parts(
        Sealed(rotated.key_id, rotated.access_token_ciphertext), pnid
    ) == ("EAAG-rotated-token-Qw9")
    assert events[2].data.access_token_ciphertext is None
    status = await gateway.client.get(url, headers=gateway.admin)
    assert status.json()["status"] == "disabled"


async def test_a_number_of_another_tenant_is_a_conflict(
    gateway: Any, tenant: str, unique: Callable[[str], str]
) -> None:
    pnid = unique("pn")
    other = unique("other")
    await gateway.client.put(f"/v1/tenants/{other}", json={"name": "Other"}, headers=gateway.admin)
    first = await gateway.client.put(
        f"/v1/tenants/{tenant}/channels/{pnid}", json=SECRETS, headers=gateway.admin
    )
    stolen = await gateway.client.put(
        f"/v1/tenants/{other}/channels/{pnid}", json=SECRETS, headers=gateway.admin
    )
    assert first.status_code == 201
    assert stolen.status_code == 409
    missing = await gateway.client.get(
        f"/v1/tenants/{other}/channels/{pnid}", headers=gateway.admin
    )
    assert missing.status_code == 404


async def test_a_tenants_channels_are_listed_without_their_secrets(
    gateway: Any, tenant: str, unique: Callable[[str], str]
) -> None:
    first, second = sorted((unique("pn-a"), unique("pn-b")))
    for pnid in (first, second):
        put = await gateway.client.put(
            f"/v1/tenants/{tenant}/channels/{pnid}",
            json={**SECRETS, "waba_id": "waba-1"},
            headers=gateway.admin,
        )
        assert put.status_code == 201, put.text
    await gateway.client.delete(f"/v1/tenants/{tenant}/channels/{second}", headers=gateway.admin)

    listed = await gateway.client.get(f"/v1/tenants/{tenant}/channels", headers=gateway.admin)
    ghost = await gateway.client.get(
        f"/v1/tenants/{unique('ghost')}/channels", headers=gateway.admin
    )

    assert listed.status_code == 200, listed.text
    assert [(c["phone_number_id"], c["status"], c["waba_id"]) for c in listed.json()["items"]] == [
        (first, "active", "waba-1"),
        (second, "disabled", "waba-1"),
    ]
    assert_no_secret_in(listed.content)
    assert ghost.status_code == 404


async def test_a_channel_needs_an_existing_tenant(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    response = await gateway.client.put(
        f"/v1/tenants/{unique('ghost')}/channels/{unique('pn')}",
        json=SECRETS,
        headers=gateway.admin,
    )
    assert response.status_code == 404


async def test_invalid_channel_fields_are_422_without_echoing_them(
    gateway: Any, tenant: str, unique: Callable[[str], str]
) -> None:
    response = await gateway.client.put(
        f"/v1/tenants/{tenant}/channels/{unique('pn')}",
        json={"verify_token": "verify-token-Xy7Q", "app_secret": "tiny", "extra": 1},
        headers=gateway.admin,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"app_secret", "access_token", "extra"} <= fields
    assert b"tiny" not in response.content
    assert b"verify-token-Xy7Q" not in response.content
