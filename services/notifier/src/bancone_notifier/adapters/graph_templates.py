"""The Graph API's message-template endpoints of a WhatsApp Business Account.

`POST/GET/DELETE {base}/{version}/{waba_id}/message_templates`, authorised by the access token
of one of the account's channels (the one the notifier sends with). A refusal or a transport
failure becomes `GraphTemplateError`; nothing here retries — the operator's request does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from bancone_notifier.adapters.graph import graph_error
from bancone_notifier.domain.templates import GraphTemplateError, GraphTemplateRefusedError

MAX_PAGES = 50
"""A sync reads at most this many pages of 100 templates (Meta's per-WABA limit is lower)."""


class TemplateApi(Protocol):
    async def create_template(
        self, waba_id: str, access_token: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Meta's answer: `{"id", "status", "category"}`."""
        ...

    async def list_templates(
        self, waba_id: str, access_token: str, *, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Every template of the account (or those called `name`), all pages."""
        ...

    async def delete_template(self, waba_id: str, access_token: str, name: str) -> None:
        """Delete every language of template `name`."""
        ...


class HttpxTemplateApi:
    def __init__(self, client: httpx.AsyncClient, base_url: str, version: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._version = version

    def url(self, waba_id: str) -> str:
        return f"{self._base}/{self._version}/{waba_id}/message_templates"

    async def _call(
        self,
        method: str,
        url: str,
        access_token: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            response = await self._client.request(
                method,
                url,
                params=params,
                json=dict(body) if body is not None else None,
                headers={"Authorization": f"Bearer {access_token}"},
            )
        except httpx.HTTPError as error:
            raise GraphTemplateError(
                f"Graph API unreachable ({type(error).__name__})", http_status=None, code=None
            ) from error
        try:
            payload: Any = response.json()
        except ValueError:
            payload = None
        if not response.is_success:
            refused = graph_error(response.status_code, payload, response.headers)
            status = response.status_code
            error_class = (
                GraphTemplateRefusedError
                if 400 <= status < 500 and status != 429
                else GraphTemplateError
            )
            raise error_class(
                refused.title or f"HTTP {response.status_code}",
                http_status=response.status_code,
                code=refused.code,
            )
        return payload

    async def create_template(
        self, waba_id: str, access_token: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        payload = await self._call("POST", self.url(waba_id), access_token, body=body)
        if not isinstance(payload, dict) or not payload.get("id"):
            raise GraphTemplateError(
                "Graph API answered without an id", http_status=None, code=None
            )
        return payload

    async def list_templates(
        self, waba_id: str, access_token: str, *, name: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"limit": "100"} | ({"name": name} if name else {})
        url: str | None = self.url(waba_id)
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            payload = await self._call("GET", url, access_token, params=params)
            data = payload.get("data") if isinstance(payload, dict) else None
            found.extend(item for item in data or () if isinstance(item, dict))
            paging = payload.get("paging") if isinstance(payload, dict) else None
            following = paging.get("next") if isinstance(paging, dict) else None
            # Meta's `next` is a full URL with its own query; only ever follow it on our host.
            url = (
                following
                if isinstance(following, str) and following.startswith(self._base)
                else None
            )
            params = {}
        return found

    async def delete_template(self, waba_id: str, access_token: str, name: str) -> None:
        await self._call("DELETE", self.url(waba_id), access_token, params={"name": name})
