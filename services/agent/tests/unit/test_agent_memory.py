"""Conversation memory: references resolve against the items last shown and the last search,
a resolved conversation starts afresh after the gap, the LLM reads its history within a bound,
and the customer's language survives an "ok"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bancone_agent.domain import OfflineAssistant, Reply, Turn, understand
from bancone_agent.domain.memory import MAX_EXCHANGES, LastSearch, Memory, ShownItem
from bancone_agent.domain.prompt import HISTORY_TOKEN_BOUND, history_messages
from bancone_agent.domain.recall import remember_turn
from bancone_agent.domain.references import resolve
from services.agent.tests.support.memory_shop import MemoryShopTools, demo_shop

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def item(sku: str, price: str, colour: str | None = None, words: str = "") -> ShownItem:
    return ShownItem(id=sku, sku=sku, name=sku.title(), price=Decimal(price), colour=colour,
                     words=words or sku.replace("-", " "))  # fmt: skip


SHOWN = (
    item("smalto-bianco", "15.90", "white", "smalto bianco vernice"),
    item("smalto-rosso", "12.00", "red", "smalto rosso vernice"),
    item("cornetto-pistacchio", "1.90", None, "cornetto pistacchio croissant"),
)
SEARCH = LastSearch(keywords=("smalto",), colours=("white",))
MEMORY = Memory(shown=SHOWN, search=SEARCH, language="it", at=NOW)


def skus(text: str, memory: Memory = MEMORY) -> list[str]:
    found = resolve(understand(text), text, memory)
    assert found is not None, text
    return [i.sku for i in found.items]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quanto costa il primo?", ["smalto-bianco"]),
        ("and the second one?", ["smalto-rosso"]),
        ("el último está disponible?", ["cornetto-pistacchio"]),
        ("is the red one in stock?", ["smalto-rosso"]),
        ("quello da 12 euro c'è?", ["smalto-rosso"]),
        ("ese de pistacho está disponible?", ["cornetto-pistacchio"]),
        ("quanto costa?", ["smalto-bianco", "smalto-rosso", "cornetto-pistacchio"]),
    ],
)
def test_a_reference_resolves_to_the_items_shown(text: str, expected: list[str]) -> None:
    assert skus(text) == expected


def test_a_follow_up_narrows_the_last_search() -> None:
    cheaper = resolve(understand("e sotto i 15?"), "e sotto i 15?", MEMORY)
    recoloured = resolve(understand("and in red?"), "and in red?", Memory(search=SEARCH))

    assert cheaper is not None
    assert cheaper.understanding is not None
    assert cheaper.understanding.keywords == ("smalto",)
    assert cheaper.understanding.budget is not None
    assert cheaper.understanding.budget.max_price == Decimal(15)
    assert recoloured is not None
    assert recoloured.understanding is not None
    assert recoloured.understanding.colours == frozenset({"red"})
    assert recoloured.understanding.keywords == ("smalto",)


@pytest.mark.parametrize("text", ["avete del formaggio?", "quanto costa la spedizione?"])
def test_a_new_question_is_not_a_follow_up(text: str) -> None:
    assert resolve(understand(text), text, MEMORY) is None


def test_nothing_resolves_in_a_conversation_without_memory() -> None:
    assert resolve(understand("quanto costa il primo?"), "quanto costa il primo?", Memory()) is None


def test_a_resolved_conversation_starts_afresh_after_the_gap_but_keeps_its_language() -> None:
    gap = timedelta(hours=12)

    assert MEMORY.current(NOW + gap, resolved=True, fresh_after=gap) == Memory(language="it")
    assert MEMORY.current(NOW + gap, resolved=False, fresh_after=gap) == MEMORY
    assert MEMORY.current(NOW + gap / 2, resolved=True, fresh_after=gap) == MEMORY


def test_memory_keeps_the_last_exchanges_and_the_last_items_shown() -> None:
    memory = MEMORY
    for n in range(MAX_EXCHANGES + 3):
        memory = memory.remember(f"q{n}", f"a{n}", language="en", at=NOW)

    assert len(memory.exchanges) == MAX_EXCHANGES
    assert memory.exchanges[-1].customer == f"q{MAX_EXCHANGES + 2}"
    assert memory.shown == SHOWN
    assert memory.language == "en"


async def ask_in_turns(tools: MemoryShopTools, *texts: str) -> list[Reply]:
    assistant = OfflineAssistant()
    memory = Memory()
    replies: list[Reply] = []
    for n, text in enumerate(texts):
        turn = Turn(tenant_id="demo", conversation_id="c", text=text, shop_name="Enoteca",
                    memory=memory)  # fmt: skip
        reply = await assistant.respond(turn, tools)
        assert reply is not None
        replies.append(reply)
        memory = remember_turn(turn, reply, NOW + timedelta(minutes=n))
    return replies


async def test_offline_three_turns_narrow_then_resolve_the_first_item() -> None:
    tools = demo_shop()

    reds, cheaper, first = await ask_in_turns(
        tools, "Avete vino rosso?", "e qualcosa sotto i 15 euro?", "quanto costa il primo?"
    )

    assert reds.products_cited
    assert cheaper.products_cited
    assert all(p.price <= 15 and p.colour == "red" for p in cheaper.products_cited)
    assert [p.sku for p in first.products_cited] == [cheaper.products_cited[0].sku]


async def test_an_ok_does_not_flip_the_conversation_s_language() -> None:
    tools = demo_shop()

    _, thanks, again = await ask_in_turns(tools, "do you have Barolo?", "grazie", "ok")

    assert thanks.language == "en"
    assert again.language == "en"


def test_a_short_message_keeps_the_language_but_a_sentence_changes_it() -> None:
    def language(text: str) -> str:
        return Turn(tenant_id="t", conversation_id="c", text=text, shop_name="S",
                    previous_language="en").language  # fmt: skip

    assert language("grazie") == "en"
    assert language("ok!") == "en"
    assert language("avete del vino rosso da consigliarmi?") == "it"


def test_the_llm_history_stays_within_its_bound_and_says_what_it_dropped() -> None:
    memory = Memory(shown=SHOWN)
    for n in range(MAX_EXCHANGES):
        memory = memory.remember(f"domanda {n} " + "x" * 500, "risposta " + "y" * 500,
                                 language="it", at=NOW)  # fmt: skip

    messages = history_messages(memory)

    chat = [m for m in messages if m["role"] != "system"]
    assert sum(len(m["content"]) for m in chat) / 4 <= HISTORY_TOKEN_BOUND
    assert chat[-2]["content"].startswith(f"domanda {MAX_EXCHANGES - 1}")
    assert any("earlier turns omitted" in m["content"] for m in messages)
    assert any("1. Smalto-Bianco [sku smalto-bianco" in m["content"] for m in messages)
