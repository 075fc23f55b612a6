"""The setup assistant on real PostgreSQL: the offline question sequence makes a draft
configuration and FAQ drafts, nothing is stored before the owner confirms, confirming stores
a configuration version and the FAQs (through a stand-in of the catalog's HTTP API); with an
LLM (the scripted server) it converses and ends with the same kind of draft."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.adapters.setup_assistant import CatalogFaqWriter, LlmSetupChat
from bancone_scripted_llm import ScriptedLlm, running_scripted_llm
from services.agent.tests.support.console import console, operator
from services.agent.tests.support.shop_api import FakeShopApi, serve

pytestmark = pytest.mark.service

TENANT = "enoteca"
BASE = f"/v1/tenants/{TENANT}/onboarding"
ANSWERS = [
    "Vini toscani e olio extravergine",
    "lun-sab 9:00-13:00 e 15:30-19:30",
    "Spediamo in tutta Italia in 48 ore, gratis sopra i 50 euro",
    "Resi entro 14 giorni",
    "Carta, PayPal e bonifico",
    "Amichevole, dai del tu",
]


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLlm]:
    with running_scripted_llm() as server:
        yield server


async def test_offline_questions_make_a_draft_that_is_stored_only_on_confirm(
    postgres_url: str,
) -> None:
    catalog = FakeShopApi()
    async with (
        serve(catalog.app()) as catalog_url,
        console(postgres_url, faq_writer=CatalogFaqWriter(catalog_url)) as c,
    ):
        owner = operator(TENANT, "admin", name="owner-1")
        started = await c.http.post(BASE, json={"language": "it"}, headers=owner)
        assert started.status_code == 201, started.text
        session = started.json()["session_id"]
        assert "Cosa vende" in started.json()["message"]
        early = await c.http.post(f"{BASE}/{session}/confirm", json={"config": {}}, headers=owner)
        assert early.status_code == 409

        questions = []
        for text in ANSWERS:
            step = await c.http.post(
                f"{BASE}/{session}/answers", json={"text": text}, headers=owner
            )
            assert step.status_code == 200, step.text
            questions.append(step.json()["message"])
        assert all(questions[:5])
        assert questions[5] is None
        draft = step.json()["draft"]
        config = draft["config"]
        assert "Vini toscani" in config["business_context"]
        assert "Resi entro 14 giorni" in config["business_context"]
        assert config["opening_hours"]["days"]["6"] == [["09:00", "13:00"], ["15:30", "19:30"]]
        assert "7" not in config["opening_hours"]["days"]
        assert "friendly" in config["persona"]
        assert {f["key"] for f in draft["faqs"]} == {
            "setup-hours",
            "setup-shipping",
            "setup-returns",
            "setup-payments",
        }

        config_path = f"/v1/tenants/{TENANT}/assistant-config"
        nothing = (await c.http.get(f"{config_path}/versions", headers=owner)).json()
        assert nothing["items"] == [], "nothing is stored before the owner confirms"
        assert catalog.faqs == {}

        edited = {**config, "shop_name": "Enoteca Rossi"}
        confirmed = await c.http.post(
            f"{BASE}/{session}/confirm",
            json={"config": edited, "faqs": draft["faqs"]},
            headers=owner,
        )
        assert confirmed.status_code == 201, confirmed.text
        assert confirmed.json()["version"] == 1
        assert len(confirmed.json()["faqs_created"]) == 4
        active = (await c.http.get(config_path, headers=owner)).json()
        assert (active["version"], active["config"]["shop_name"]) == (1, "Enoteca Rossi")
        assert active["created_by"] == "owner-1"
        assert {f["key"] for f in catalog.faqs[TENANT]} == {f["key"] for f in draft["faqs"]}

        again = await c.http.post(
            f"{BASE}/{session}/confirm", json={"config": edited}, headers=owner
        )
        assert again.status_code == 409
        unknown = await c.http.post(
            f"{BASE}/{uuid.uuid4()}/answers", json={"text": "x"}, headers=owner
        )
        assert unknown.status_code == 404
        other = await c.http.post(
            f"/v1/tenants/altro/onboarding/{session}/answers",
            json={"text": "x"},
            headers=operator("altro", "admin"),
        )
        assert other.status_code == 404
        agent = await c.http.post(BASE, headers=operator(TENANT, "agent"))
        assert agent.status_code == 403


async def test_with_an_llm_the_setup_assistant_converses_then_drafts(
    postgres_url: str, llm: ScriptedLlm
) -> None:
    answers = (
        '{"answers": {"sell": "Vini toscani", "hours": "mar-dom 10-20", '
        '"shipping": "48 ore", "returns": "14 giorni", "payments": "Carta", '
        '"tone": "formale"}}'
    )
    llm.load(
        {
            "rules": [
                {"role": "user", "match": r"\(start\)", "reply": {"content": "Cosa vendete?"}},
                {"role": "user", "match": "vini", "reply": {"content": "E gli orari?"}},
                {"role": "user", "match": "10-20", "reply": {"content": answers}},
            ]
        }
    )
    chat = LlmSetupChat(LlmOptions(base_url=llm.base_url, api_key="sk-test", model="scripted"))
    async with console(postgres_url, setup_chat=chat) as c:
        owner = operator(TENANT, "admin")
        started = (await c.http.post(BASE, headers=owner)).json()
        assert started["message"] == "Cosa vendete?"
        session = started["session_id"]
        first = await c.http.post(
            f"{BASE}/{session}/answers", json={"text": "Vendiamo vini"}, headers=owner
        )
        assert (first.json()["message"], first.json()["draft"]) == ("E gli orari?", None)
        last = await c.http.post(
            f"{BASE}/{session}/answers", json={"text": "da martedì a domenica 10-20"}, headers=owner
        )
        assert last.json()["message"] is None
        draft = last.json()["draft"]
        assert "Vini toscani" in draft["config"]["business_context"]
        assert draft["config"]["opening_hours"]["days"]["2"] == [["10:00", "20:00"]]
        assert "formal" in draft["config"]["persona"]
        versions = await c.http.get(
            f"/v1/tenants/{TENANT}/assistant-config/versions", headers=owner
        )
        assert versions.json()["items"] == []
