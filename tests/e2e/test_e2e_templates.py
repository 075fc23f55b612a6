"""Message templates through all five services as processes: the owner creates one on the
gateway's origin (forwarded to the notifier, which verifies the gateway's token and submits it
to the sandbox's Graph API), Meta's status webhook reaches the notifier through the gateway
(routed by the WhatsApp Business Account), and the template shows APPROVED."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e

COMPONENTS = [
    {
        "type": "BODY",
        "text": "Ciao {{1}}, il {{2}} è in offerta!",
        "example": {"body_text": [["Giulia", "Barolo"]]},
    }
]


async def _template(platform: Platform, name: str, status: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        response = await platform.http.get(
            platform.url("gateway") + "/v1/tenants/demo/templates", headers=platform.admin()
        )
        assert response.status_code == 200, response.text
        found = [t for t in response.json()["items"] if t["name"] == name]
        if (found and found[0]["status"] == status) or time.monotonic() > deadline:
            return found[0] if found else None
        await asyncio.sleep(0.3)


async def test_a_template_created_on_the_console_origin_is_approved_by_metas_webhook(
    platform: Platform,
) -> None:
    demo = platform.tenants["demo"]
    name = f"e2e_offer_{int(time.time())}"

    created = await platform.http.post(
        platform.url("gateway") + "/v1/tenants/demo/templates",
        json={
            "phone_number_id": demo.phone_number_id,
            "name": name,
            "language": "it",
            "category": "marketing",
            "components": COMPONENTS,
        },
        headers=platform.admin(),
    )
    assert created.status_code == 201, created.text
    meta_id = created.json()["meta_id"]
    rival_view = await platform.http.get(
        platform.url("gateway") + "/v1/tenants/demo/templates", headers=platform.admin("rival")
    )
    assert rival_view.status_code == 404

    webhook = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": demo.waba_id,
                "time": int(time.time()),
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "APPROVED",
                            "message_template_id": int(meta_id),
                            "message_template_name": name,
                            "message_template_language": "it",
                            "reason": "NONE",
                        },
                    }
                ],
            }
        ],
    }
    response = await platform.post_webhook(demo, webhook)
    assert response.status_code == 200, response.text

    approved = await _template(platform, name, "APPROVED")
    assert approved is not None
    assert (approved["status"], approved["reason"]) == ("APPROVED", None)
