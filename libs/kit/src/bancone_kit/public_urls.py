"""Outbound URLs a tenant chooses (its LLM endpoint, a document to fetch) may only reach the
public internet: https, and every address the host resolves to is global — never a private,
loopback, link-local, shared (CGNAT) or cloud-metadata address, where a tenant could make the
platform talk to its own internals (SSRF).

The rule is checked when the URL is configured (`check_public_url`) and again on every request
(`PublicOnlyTransport` for an httpx client, or `public_only_hook` as a request event hook of
any httpx-shaped client, e.g. the OpenAI SDK's), since DNS can change between the two; the
client must not follow redirects (`follow_redirects=False`). Hosts the platform
allows explicitly (`allowed_hosts`, e.g. the scripted LLM on loopback in dev and tests) skip
both rules, scheme included.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Protocol
from urllib.parse import urlsplit

import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES: frozenset[IpAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
"""Cloud instance-metadata endpoints (AWS, ECS, Alibaba, AWS IPv6): named so that the refusal
says why, though the global-address rule refuses them already."""


class UnsafeUrlError(ValueError):
    """A URL that is not https, or whose host is (or resolves to) a non-public address."""


def address_problem(address: IpAddress) -> str | None:
    """Why `address` is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_multicast or address.is_unspecified or not address.is_global:
        return "not a public address"
    return None


def _host_allowed(host: str, port: int | None, allowed_hosts: Collection[str]) -> bool:
    host = host.lower().strip("[]")
    return host in allowed_hosts or (port is not None and f"{host}:{port}" in allowed_hosts)


def normalise_allowed_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """`host` or `host:port` entries, lower-cased, IPv6 brackets dropped."""
    out: set[str] = set()
    for entry in hosts:
        entry = entry.strip().lower()
        if entry.startswith("["):
            address, _, rest = entry[1:].partition("]")
            entry = address + rest
        if entry:
            out.add(entry)
    return frozenset(out)


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise UnsafeUrlError(f"{url!r} has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrlError(f"{url!r} has an invalid port") from exc
    return parts.scheme, parts.hostname.lower(), port


async def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address `host` resolves to (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeUrlError(f"host {host!r} does not resolve: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check_public_url(url: str, *, allowed_hosts: Collection[str] = ()) -> None:
    """Raise `UnsafeUrlError` unless `url` is https on a host resolving only to public
    addresses, or its host (or host:port) is in `allowed_hosts`."""
    scheme, host, port = _split(url)
    if _host_allowed(host, port, allowed_hosts):
        return
    if scheme != "https":
        raise UnsafeUrlError(f"{url!r} must use https")
    addresses = await resolve(host, port)
    if not addresses:
        raise UnsafeUrlError(f"host {host!r} does not resolve")
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            raise UnsafeUrlError(f"host {host!r} resolves to {address}, {problem}")


class _HasUrl(Protocol):
    @property
    def url(self) -> object: ...


def public_only_hook(allowed_hosts: Collection[str] = ()) -> Callable[[_HasUrl], Awaitable[None]]:
    """A request event hook (`event_hooks={"request": [hook]}`) refusing, before it is sent,
    every request whose URL fails `check_public_url`."""
    allowed = frozenset(allowed_hosts)

    async def refuse_non_public(request: _HasUrl) -> None:
        await check_public_url(str(request.url), allowed_hosts=allowed)

    return refuse_non_public


class PublicOnlyTransport(httpx.AsyncBaseTransport):
    """Checks each request's URL with `check_public_url` before sending it (at call time, so a
    host re-pointed after configuration is refused too). Use it in a client with
    `follow_redirects=False`: a redirect is answered to the caller, never followed here."""

    def __init__(
        self,
        allowed_hosts: Collection[str] = (),
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._allowed = frozenset(allowed_hosts)
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await check_public_url(str(request.url), allowed_hosts=self._allowed)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
