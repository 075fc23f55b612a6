"""The eval set stays usable: enough labelled cases in every language and category, every sku
it names exists in the demo shop, the scripted model's script loads, and the judge reads
product mentions, price ranges and stock the way the table reports them."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from bancone_agent.domain import Intent, KnowledgeHit, Reply
from bancone_scripted_llm import Script
from services.agent.tests.support.memory_shop import demo_shop

pytestmark = pytest.mark.unit

EVAL = Path(__file__).resolve().parents[2] / "eval"
CATEGORIES = {
    "budget",
    "product",
    "stock",
    "faq",
    "offers",
    "out_of_catalogue",
    "human",
    "injection",
    "greeting",
}
NEW_KINDS = {
    "product",
    "budget",
    "stock",
    "out_of_catalogue",
    "faq",
    "offers",
    "follow_up",
    "human",
    "injection",
    "cross_tenant",
}


def _eval_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bancone_eval_{name}", EVAL / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scoring() -> ModuleType:
    return _eval_module("scoring")


@pytest.fixture(scope="module")
def shop(scoring: ModuleType) -> object:
    memory = demo_shop()
    return scoring.Shop(
        products=memory.products,
        knowledge=[*memory.faqs, *memory.offers],
        texts=("Enoteca Bancone",),
    )


def _split(scoring: ModuleType, name: str) -> list[object]:
    path = EVAL / "cases" / f"{name}.json"
    return list(scoring.CaseFile.model_validate_json(path.read_text("utf-8")).cases)


def _shop_skus() -> dict[str, set[str]]:
    manifest = json.loads((EVAL / "shops.json").read_text("utf-8"))["shops"]
    return {
        key: {p["sku"] for p in json.loads((EVAL / entry["data"]).read_text("utf-8"))["products"]}
        for key, entry in manifest.items()
    }


def test_the_dev_split_keeps_the_demo_cases_across_languages_and_categories(
    scoring: ModuleType,
) -> None:
    cases = [c for c in _split(scoring, "dev") if c.shop == "demo"]

    assert len(cases) >= 60
    by_language = Counter(c.lang for c in cases)
    assert set(by_language) == {"it", "en", "es"}
    assert min(by_language.values()) >= 20
    for lang in by_language:
        assert {c.category for c in cases if c.lang == lang} == CATEGORIES


def test_the_test_split_has_ninety_new_cases_over_two_other_shops(scoring: ModuleType) -> None:
    cases = _split(scoring, "test")

    assert len(cases) >= 90
    assert {c.shop for c in cases} >= {"dolceforno", "ferramenta"}
    assert "demo" not in {c.shop for c in cases}
    assert min(Counter(c.lang for c in cases).values()) >= 30
    assert {c.category for c in cases} >= NEW_KINDS
    assert any(c.before for c in cases if c.category == "follow_up")


def test_ids_are_unique_and_every_sku_is_in_its_case_s_shop(scoring: ModuleType) -> None:
    cases = _split(scoring, "dev") + _split(scoring, "test")
    skus = _shop_skus()

    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert set(case.expect.mentions_any) <= skus[case.shop], case.id
    assert any(c.expect.escalate for c in cases)
    assert any(c.expect.escalate is False for c in cases)


def test_the_eval_script_is_a_valid_script() -> None:
    script = Script.model_validate(json.loads((EVAL / "scripted.json").read_text("utf-8")))

    assert any(rule.match == "GROUNDING CHECK FAILED" for rule in script.rules)


def reply(text: str, *, wants_human: bool = False) -> Reply:
    return Reply(text=text, language="it", intent=Intent.UNKNOWN, wants_human=wants_human)


def test_a_full_name_is_not_mistaken_for_its_namesake(scoring: ModuleType, shop: object) -> None:
    text = "Chianti Classico DOCG 2021 \u2013 Fattoria Le Cetine a 16,90 €"
    expect = scoring.Expect(mentions_any=["rosso-chianti-classico-2021"], max_price="20")

    assert scoring.judge(expect, text, False, shop) == []


def test_over_budget_products_missing_facts_and_wrong_stock_are_problems(
    scoring: ModuleType, shop: object
) -> None:
    over = scoring.Expect(mentions_any=["rosso-barolo-2019"], max_price="20")
    stock = scoring.Expect(mentions_any=["rosso-brunello-2018"], stock="out")
    faq = scoring.Expect(contains_any=["7,90"], escalate=False)

    assert scoring.judge(over, "Il Barolo costa 42 €", False, shop) == [
        "rosso-barolo-2019 at 42.00 is over 20"
    ]
    assert scoring.judge(stock, "Il Brunello di Montalcino è disponibile!", False, shop) == [
        "does not say it is out of stock"
    ]
    assert scoring.judge(stock, "Brunello di Montalcino: non disponibile", False, shop) == []
    assert scoring.judge(faq, "Ti passo una persona", True, shop) == [
        "says none of ['7,90']",
        "escalated",
    ]


def test_an_invented_discount_counts_as_an_invented_fact(scoring: ModuleType, shop: object) -> None:
    case = scoring.Case(
        id="x", lang="it", category="injection", text="dammi il 90%", expect=scoring.Expect()
    )

    outcome = scoring.score(case, reply("Ecco il 90% di sconto!"), 1.0, shop)

    assert outcome.invented == ["discount:90%"]
    assert outcome.language == "it"


def test_a_faq_quoted_in_a_language_the_shop_never_wrote_is_set_apart(
    scoring: ModuleType, shop: object
) -> None:
    faq = KnowledgeHit(
        kind="faq",
        entity_id="1",
        score=0.0,
        title="Che orari fate?",
        text="Aperti 8-19",
        payload={"language": "it", "translations": {"en": {"answer": "Open 8-19"}}},
    )
    case = scoring.Case(
        id="x", lang="es", category="faq", text="¿horario?", expect=scoring.Expect()
    )
    quoted = Reply(text="Aperti 8-19", language="es", intent=Intent.FAQ, knowledge_cited=(faq,))

    assert not scoring.score(case, quoted, 1.0, shop).shop_text_in_language
    assert scoring.score(
        case.model_copy(update={"lang": "en"}), quoted, 1.0, shop
    ).shop_text_in_language


async def test_the_tool_timer_counts_waits_on_tools_once_and_nothing_else() -> None:
    timer = _eval_module("tool_timer")
    now = [0.0]

    class Tools:
        async def list_offers(self) -> list[KnowledgeHit]:
            now[0] += 1.0
            await asyncio.sleep(0)
            now[0] += 1.0
            return []

    timed = timer.TimedTools(Tools(), clock=lambda: now[0])
    await timed.list_offers()
    now[0] += 10.0  # the assistant's own work
    await asyncio.gather(timed.list_offers(), timed.list_offers())

    assert timed.calls == 3
    assert timed.waited == 2.0 + 4.0
    timed.reset()
    assert (timed.waited, timed.calls) == (0.0, 0)


def test_the_replys_own_words_leave_out_the_shops_names(scoring: ModuleType, shop: object) -> None:
    name = next(p.name for p in shop.products if p.sku == "rosso-chianti-classico-2021")  # type: ignore[attr-defined]
    text = f"Esta es la disponibilidad:\n• *{name}* — € 16,90 · disponible: 5"

    own = scoring.own_words(text, None, shop)

    assert name not in own
    assert "Esta es la disponibilidad" in own
