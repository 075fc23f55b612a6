"""The demo shop, seeded through the public APIs exactly as people would: the platform operator
logs in (the bootstrap password from secrets.env) and creates the demo tenant with its owner;
the owner accepts the invite with the generated password, logs in, registers the WhatsApp
channel (webhook verification checked) and imports the catalogue into the catalog; the sandbox
learns the channel. Every step is idempotent, so a second `make run` on the same state reports
"exists"/"unchanged" instead of failing."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bancone_cli.importer import prepare_import
from bancone_cli.operator_login import LoginError, log_in_async
from bancone_devstack.launcher.environment import base_url
from bancone_devstack.launcher.layout import Layout
from bancone_devstack.launcher.report import Reporter, StepError
from bancone_devstack.launcher.services import CATALOG, GATEWAY, SANDBOX, Service
from bancone_devstack.readiness import summarise_response

INVOICE_SETTINGS_FILE = "invoice-settings.json"
"""The demo shop's invoicing data, beside its catalogue file (skipped when absent)."""
PLATFORM_EMAIL = "platform@bancone.local"
"""The gateway's default platform operator (`platform_operator_email`)."""


@dataclass
class DemoSeed:
    """Seeds the demo tenant named in `env` (dev.env's BANCONE_DEMO_* values)."""

    env: Mapping[str, str]
    layout: Layout
    reporter: Reporter
    catalog_file: Path
    shown_catalog: str
    owner_token: str = ""
    """The demo owner's access token once `gateway` has run (catalog import, index wait)."""

    async def call(
        self,
        client: httpx.AsyncClient,
        svc: Service,
        method: str,
        path: str,
        *,
        expect: Iterable[int] = (200, 201),
        **kwargs: Any,
    ) -> httpx.Response:
        """One seeding call; anything unexpected fails naming the service, URL and answer."""
        url = base_url(self.env, svc) + path
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as error:
            raise StepError(
                f"seed: {method} {url} → {type(error).__name__}: {error}",
                logs=[(svc.name, self.layout.log(svc.name))],
            ) from error
        if response.status_code not in set(expect):
            raise StepError(
                f"seed: {method} {url} → {summarise_response(response)}",
                logs=[(svc.name, self.layout.log(svc.name))],
            )
        return response

    async def run(self) -> str:
        """Seed; the demo owner's access token."""
        self.reporter.wait_for("seed", "demo seed")
        async with httpx.AsyncClient(timeout=30.0) as client:
            await self.gateway(client)
            await self.sandbox(client)
            await self.catalog(client)
        self.reporter.wait_for("seed", None)
        return self.owner_token

    async def log_in(self, client: httpx.AsyncClient, email: str, password: str) -> str:
        try:
            return await log_in_async(client, base_url(self.env, GATEWAY), email, password)
        except LoginError as error:
            raise StepError(
                f"seed: {error}",
                logs=[("gateway", self.layout.log("gateway"))],
                hint="the passwords are set when the accounts are first made: a state dir from "
                "an earlier run keeps them (secrets.env); delete both to start afresh",
            ) from error

    async def tenant_and_owner(self, client: httpx.AsyncClient) -> str:
        """The platform creates the tenant and its owner's invite; the owner accepts it."""
        env = self.env
        platform_email = env.get("BANCONE_GATEWAY_PLATFORM_OPERATOR_EMAIL", PLATFORM_EMAIL)
        platform = await self.log_in(client, platform_email, env["BANCONE_PLATFORM_PASSWORD"])
        response = await self.call(
            client,
            GATEWAY,
            "POST",
            "/v1/platform/tenants",
            json={
                "id": env["BANCONE_DEMO_TENANT_ID"],
                "name": env["BANCONE_DEMO_TENANT_NAME"],
                "owner_email": env["BANCONE_DEMO_OWNER_EMAIL"],
            },
            headers={"Authorization": f"Bearer {platform}"},
            expect=(201, 409),
        )
        if response.status_code == 409:
            return "exists"
        await self.call(
            client,
            GATEWAY,
            "POST",
            "/v1/auth/invites/accept",
            json={
                "token": response.json()["owner_invite"]["token"],
                "password": env["BANCONE_DEMO_OWNER_PASSWORD"],
            },
            expect=(201,),
        )
        return "created with its owner"

    async def gateway(self, client: httpx.AsyncClient) -> None:
        env = self.env
        tenant = env["BANCONE_DEMO_TENANT_ID"]
        phone = env["BANCONE_DEMO_PHONE_NUMBER_ID"]
        tenant_change = await self.tenant_and_owner(client)
        self.owner_token = await self.log_in(
            client, env["BANCONE_DEMO_OWNER_EMAIL"], env["BANCONE_DEMO_OWNER_PASSWORD"]
        )
        admin = {"Authorization": f"Bearer {self.owner_token}"}
        response = await self.call(
            client,
            GATEWAY,
            "PUT",
            f"/v1/tenants/{tenant}/channels/{phone}",
            json={
                "verify_token": env["BANCONE_DEMO_VERIFY_TOKEN"],
                "app_secret": env["BANCONE_DEMO_APP_SECRET"],
                "access_token": env["BANCONE_DEMO_ACCESS_TOKEN"],
                "waba_id": env["BANCONE_DEMO_WABA_ID"],
                "display_phone_number": env["BANCONE_DEMO_DISPLAY_PHONE_NUMBER"],
            },
            headers=admin,
        )
        channel_change = response.json().get("change", "?")
        self.reporter.done(
            f"gateway: tenant {tenant} {tenant_change}, channel {phone} {channel_change}"
        )

        challenge = secrets.token_hex(8)
        response = await self.call(
            client,
            GATEWAY,
            "GET",
            "/webhooks/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": env["BANCONE_DEMO_VERIFY_TOKEN"],
                "hub.challenge": challenge,
            },
            expect=(200,),
        )
        if response.text != challenge:
            raise StepError(
                f"seed: gateway answered the webhook verification with {response.text[:80]!r}, "
                f"not the challenge {challenge!r}",
                logs=[("gateway", self.layout.log("gateway"))],
            )

    async def sandbox(self, client: httpx.AsyncClient) -> None:
        env = self.env
        phone = env["BANCONE_DEMO_PHONE_NUMBER_ID"]
        await self.call(
            client,
            SANDBOX,
            "POST",
            "/sandbox/channels",
            json={
                "phone_number_id": phone,
                "access_token": env["BANCONE_DEMO_ACCESS_TOKEN"],
                "app_secret": env["BANCONE_DEMO_APP_SECRET"],
                "gateway_webhook_url": base_url(env, GATEWAY) + "/webhooks/whatsapp",
                "display_phone_number": env["BANCONE_DEMO_DISPLAY_PHONE_NUMBER"],
                "waba_id": env["BANCONE_DEMO_WABA_ID"],
            },
        )
        self.reporter.done(f"sandbox: channel {phone} registered (status webhooks → gateway)")

    async def catalog(self, client: httpx.AsyncClient) -> None:
        tenant = self.env["BANCONE_DEMO_TENANT_ID"]
        admin = {"Authorization": f"Bearer {self.owner_token}"}
        upload = prepare_import(self.catalog_file)
        response = await self.call(
            client,
            CATALOG,
            "POST",
            f"/v1/tenants/{tenant}/import",
            content=upload.body,
            params=upload.params(),
            headers={**admin, "Content-Type": upload.content_type},
        )
        self.reporter.done(
            f"catalog: imported {self.shown_catalog} "
            f"(created/updated/unchanged: {import_summary(response.json())})"
        )
        settings = self.catalog_file.with_name(INVOICE_SETTINGS_FILE)
        if settings.is_file():
            await self.call(
                client,
                CATALOG,
                "PUT",
                f"/v1/tenants/{tenant}/invoice-settings",
                content=settings.read_bytes(),
                headers={**admin, "Content-Type": "application/json"},
            )
            self.reporter.done(f"catalog: invoicing data from {settings.name}")


def import_summary(report: Any) -> str:
    """`products 35/0/0, faqs 5/0/0, offers 2/0/0` (created/updated/unchanged) of a report."""
    report = report if isinstance(report, dict) else {}
    parts = []
    for kind in ("products", "faqs", "offers"):
        counts = report.get(kind) or {}
        numbers = "/".join(str(counts.get(k, 0)) for k in ("created", "updated", "unchanged"))
        parts.append(f"{kind} {numbers}")
    return ", ".join(parts)
