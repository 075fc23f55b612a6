"""Knowledge from documents end to end: the demo shop's owner uploads a PDF through the API
(the gateway forwards it to ingest), its ingestion job ends `indexed`, and a WhatsApp question
it answers gets a reply that states what it says and cites it; the other shop's customers never
get it.

The PDF is the demo shop's shipped sample (`deploy/local/demo/knowledge`). The question is on
a FAQ topic the shop has no FAQ for (picking up in the shop), so the offline assistant answers
from the document's passage and names its source.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PICKUP_PDF = REPO / "deploy" / "local" / "demo" / "knowledge" / "ritiro-in-negozio.pdf"
TITLE = "Ritiro in negozio"
FACT = "ritirare gratis in negozio"
"""Said by the PDF only (the demo shop's FAQs name its address too, never this)."""


async def upload(platform: Platform, tenant_id: str, path: Path, title: str) -> dict[str, Any]:
    data = await asyncio.to_thread(path.read_bytes)
    response = await platform.http.post(
        f"{platform.url('gateway')}/v1/tenants/{tenant_id}/documents",
        files={"file": (path.name, data, "application/pdf")},
        data={"title": title},
        headers=platform.admin(tenant_id),
    )
    assert response.status_code == 202, response.text
    document: dict[str, Any] = response.json()
    return document


async def finished_job(
    platform: Platform, tenant_id: str, job_id: str, seconds: float = 120
) -> dict[str, Any]:
    """The job once it is `indexed` or `failed` (polled through the gateway)."""
    url = f"{platform.url('gateway')}/v1/tenants/{tenant_id}/ingestion-jobs/{job_id}"
    deadline = time.monotonic() + seconds
    while True:
        response = await platform.http.get(url, headers=platform.admin(tenant_id))
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["state"] in ("indexed", "failed") or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
async def pickup_job(platform: Platform) -> dict[str, Any]:
    """The demo shop's pickup PDF, uploaded through the gateway, once its job is final."""
    document = await upload(platform, "demo", PICKUP_PDF, TITLE)
    return await finished_job(platform, "demo", document["job"]["job_id"])


async def test_an_uploaded_pdf_answers_a_whatsapp_question_with_its_citation(
    platform: Platform, pickup_job: dict[str, Any], customer: str
) -> None:
    assert (pickup_job["state"], pickup_job["pages_total"]) == ("indexed", 2), pickup_job

    demo = platform.tenants["demo"]
    _, response = await platform.say(demo, customer, "Posso ritirare l'ordine in negozio?")
    assert response.status_code == 200

    [reply] = await platform.replies(customer)
    assert FACT in reply
    assert f"(fonte: {TITLE}, p. 1)" in reply
    assert await platform.settle(customer) == [reply]


async def test_the_other_shops_customer_is_not_answered_from_the_document(
    platform: Platform, pickup_job: dict[str, Any], customer: str
) -> None:
    assert pickup_job["state"] == "indexed", pickup_job

    rival = platform.tenants["rival"]
    _, response = await platform.say(rival, customer, "Posso ritirare l'ordine in negozio?")
    assert response.status_code == 200

    [reply] = await platform.replies(customer)
    assert FACT not in reply
    assert TITLE not in reply
