"""Link tokens: bound to tenant, kind, resource and expiry; opened by any key of the keyring
(rotation), refused once expired, tampered or signed with a key the gateway no longer holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from bancone_gateway.adapters.catalog_invoices import CatalogInvoices
from bancone_gateway.adapters.link_signer import LinkSigner
from bancone_gateway.domain.links import (
    InvalidLinkRequestError,
    LinkGrant,
    LinkNotFoundError,
    LinkTargetUnavailableError,
    grant,
    invoice_filename,
)
from bancone_kit.crypto import Keyring, generate_key

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
OLD = f"old:{generate_key()}"
NEW = f"new:{generate_key()}"
LINK = LinkGrant("demo", "invoice", "ord-1", NOW + timedelta(days=7))


def signer(spec: str, now: datetime = NOW) -> LinkSigner:
    return LinkSigner(Keyring.parse(spec), clock=lambda: now)


def test_a_signed_link_opens_to_its_grant_until_it_expires() -> None:
    token = signer(OLD).sign(LINK)

    assert signer(OLD).open(token) == LINK
    assert signer(OLD, NOW + timedelta(days=7) - timedelta(seconds=1)).open(token) == LINK
    with pytest.raises(LinkNotFoundError):
        signer(OLD, NOW + timedelta(days=7)).open(token)


def test_rotation_keeps_old_links_while_the_old_key_stays_in_the_keyring() -> None:
    before = signer(OLD).sign(LINK)
    rotated = signer(f"{NEW},{OLD}")
    after = rotated.sign(LINK)

    assert jwt.get_unverified_header(after)["kid"] == "new"
    assert rotated.open(before) == rotated.open(after) == LINK
    with pytest.raises(LinkNotFoundError):
        signer(NEW).open(before)


def test_a_changed_claim_or_signature_is_refused() -> None:
    token = signer(OLD).sign(LINK)
    header, payload, signature = token.split(".")
    other = signer(OLD).sign(LinkGrant("rival", "invoice", "ord-1", LINK.expires_at))
    swapped_payload = f"{header}.{other.split('.')[1]}.{signature}"
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]

    for bad in (swapped_payload, flipped, f"{header}.{payload}.", "x.y.z", ""):
        with pytest.raises(LinkNotFoundError):
            signer(OLD).open(bad)


def test_a_token_of_another_algorithm_or_audience_is_refused() -> None:
    key = Keyring.parse(OLD).keys["old"]
    claims = {"sub": "ord-1", "tid": "demo", "kind": "invoice", "exp": NOW + timedelta(days=1)}
    unsigned = jwt.encode({**claims, "aud": "bancone-link"}, None, algorithm="none")
    wrong_audience = jwt.encode(
        {**claims, "aud": "bancone"}, key, algorithm="HS256", headers={"kid": "old"}
    )
    no_kid = jwt.encode({**claims, "aud": "bancone-link"}, key, algorithm="HS256")

    for bad in (unsigned, wrong_audience, no_kid):
        with pytest.raises(LinkNotFoundError):
            signer(OLD).open(bad)


def test_mint_requests_name_a_known_kind_and_a_plain_id() -> None:
    assert grant("demo", "invoice", "ord_01J:2", NOW).resource_id == "ord_01J:2"
    for kind, resource in (
        ("receipt", "ord-1"),
        ("invoice", "../x"),
        ("invoice", "a/b"),
        ("invoice", ""),
    ):
        with pytest.raises(InvalidLinkRequestError):
            grant("demo", kind, resource, NOW)


def test_the_filename_carries_only_a_header_safe_number() -> None:
    assert invoice_filename("2026-000001") == "invoice-2026-000001.pdf"
    assert invoice_filename('1"; evil=x') == "invoice.pdf"


async def _credential(_: str) -> str:
    return "service-token"


async def test_an_unreachable_or_failing_catalog_is_unavailable_not_missing() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def broken(_: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    def refusing(_: httpx.Request) -> httpx.Response:
        return httpx.Response(401)

    def not_a_pdf(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/invoice.pdf"):
            return httpx.Response(
                200, content=b"<html>", headers={"content-type": "application/pdf"}
            )
        return httpx.Response(200, json={"invoice": {"number": "2026-000009"}})

    for handler in (down, broken, refusing, not_a_pdf):
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            with pytest.raises(LinkTargetUnavailableError):
                await CatalogInvoices("http://catalog", http, _credential).invoice("demo", "o")
    async with httpx.AsyncClient() as http:
        with pytest.raises(LinkTargetUnavailableError):
            await CatalogInvoices(None, http, _credential).invoice("demo", "o")


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_an_id_the_catalog_does_not_know_is_not_found(status: int) -> None:
    def catalog(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"title": "no"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(catalog)) as http:
        with pytest.raises(LinkNotFoundError):
            await CatalogInvoices("http://catalog", http, _credential).invoice("demo", "ord-x")


async def test_the_catalog_is_asked_with_the_credential_for_escaped_ids() -> None:
    seen: list[httpx.Request] = []

    def catalog(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/invoice.pdf"):
            return httpx.Response(
                200, content=b"%PDF-1.7", headers={"content-type": "application/pdf"}
            )
        return httpx.Response(200, json={"invoice": {"number": "2026-000009"}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(catalog)) as http:
        found = await CatalogInvoices("http://catalog/", http, _credential).invoice("demo", "o:1")

    assert (found.number, found.content) == ("2026-000009", b"%PDF-1.7")
    assert [r.url.raw_path for r in seen] == [
        b"/v1/tenants/demo/orders/o%3A1",
        b"/v1/tenants/demo/orders/o%3A1/invoice.pdf",
    ]
    assert {r.headers["authorization"] for r in seen} == {"Bearer service-token"}
