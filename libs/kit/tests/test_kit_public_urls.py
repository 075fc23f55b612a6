from __future__ import annotations

import httpx
import pytest

from bancone_kit.public_urls import (
    PublicOnlyTransport,
    UnsafeUrlError,
    check_public_url,
    normalise_allowed_hosts,
    public_only_hook,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/v1", "https"),
        ("https://127.0.0.1/v1", "loopback"),
        ("https://localhost:8443/v1", "loopback"),
        ("https://10.1.2.3/v1", "private"),
        ("https://192.168.0.10/v1", "private"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://169.254.10.1/", "link-local"),
        ("https://[::1]/v1", "loopback"),
        ("https://[fe80::1]/v1", "link-local"),
        ("https://[::ffff:10.0.0.1]/v1", "private"),
        ("https://100.64.0.1/v1", "not a public"),
        ("https://0.0.0.0/v1", "private"),
        ("https:///v1", "no host"),
    ],
)
async def test_non_public_or_plain_http_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(UnsafeUrlError, match=why):
        await check_public_url(url)


async def test_an_https_url_on_a_public_address_passes() -> None:
    await check_public_url("https://93.184.215.14/v1")
    await check_public_url("https://[2606:4700::1111]/v1")


async def test_an_allowed_host_skips_scheme_and_address_rules() -> None:
    allowed = normalise_allowed_hosts(["127.0.0.1:9400", "[::1]", "LocalHost"])
    await check_public_url("http://127.0.0.1:9400/v1", allowed_hosts=allowed)
    await check_public_url("http://[::1]:1234/v1", allowed_hosts=allowed)
    await check_public_url("http://localhost:1/v1", allowed_hosts=allowed)
    with pytest.raises(UnsafeUrlError, match="https"):
        await check_public_url("http://127.0.0.1:9401/v1", allowed_hosts=allowed)


async def test_the_transport_refuses_at_call_time_before_connecting() -> None:
    reached: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        reached.append(request)
        return httpx.Response(302, headers={"location": "https://169.254.169.254/"})

    transport = PublicOnlyTransport(allowed_hosts={"127.0.0.1"}, inner=httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
        with pytest.raises(UnsafeUrlError, match="private"):
            await client.get("https://10.0.0.7/v1/models")
        redirect = await client.get("http://127.0.0.1/v1/models")
    assert redirect.status_code == 302
    assert [str(r.url) for r in reached] == ["http://127.0.0.1/v1/models"]


async def test_the_request_hook_refuses_before_sending() -> None:
    reached: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        reached.append(request)
        return httpx.Response(200)

    hook = public_only_hook({"127.0.0.1"})
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(answer), event_hooks={"request": [hook]}
    ) as client:
        with pytest.raises(UnsafeUrlError, match="metadata"):
            await client.get("https://169.254.169.254/latest")
        assert (await client.get("http://127.0.0.1/ok")).status_code == 200
    assert len(reached) == 1
