"""The adapters of the setup assistant: the LLM that converses with a shop owner (through the
agent's LLM clients, so a tenant endpoint gets the same public-address guard and its own key
only), and the catalog's FAQ API, called with the confirming owner's own token (the catalog
checks their role, as if the console had called it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from bancone_agent.adapters.llm_client import LlmClients, LlmOptions, endpoint_for
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.onboarding import FaqResult, SetupReply, read_setup_reply, setup_prompt


class LlmSetupChat:
    def __init__(self, options: LlmOptions) -> None:
        self._options = options
        self._clients = LlmClients(options)

    def available(self, config: AgentConfig) -> bool:
        return endpoint_for(self._options, config) is not None

    async def reply(
        self, config: AgentConfig, transcript: Sequence[Mapping[str, str]], language: str
    ) -> SetupReply:
        endpoint = endpoint_for(self._options, config)
        if endpoint is None:
            raise RuntimeError("no LLM endpoint for this tenant")
        messages: list[dict[str, str]] = [
            {"role": "system", "content": setup_prompt(config.shop_name, language)}
        ]
        messages += [{"role": t["role"], "content": t["text"]} for t in transcript]
        response = await self._clients.client(endpoint).chat.completions.create(
            model=endpoint.model,
            messages=messages,  # type: ignore[arg-type]
            temperature=0.3,
            max_tokens=600,
        )
        return read_setup_reply(response.choices[0].message.content or "")


class CatalogFaqWriter:
    def __init__(self, catalog_base: str, timeout: float = 10.0) -> None:
        self._base = catalog_base.rstrip("/")
        self._timeout = timeout

    async def create(
        self, tenant_id: str, faqs: Sequence[Mapping[str, str]], authorization: str
    ) -> FaqResult:
        created: list[str] = []
        existing: list[str] = []
        headers = {"Authorization": authorization}
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
            for faq in faqs:
                response = await client.post(
                    f"{self._base}/v1/tenants/{tenant_id}/faqs", json=dict(faq), headers=headers
                )
                if response.status_code == 409:
                    existing.append(faq["key"])
                    continue
                response.raise_for_status()
                created.append(faq["key"])
        return FaqResult(created, existing)
