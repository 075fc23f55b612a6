"""The offline assistant in conversation: small talk, hand-offs, message kinds, the language
of the conversation, and no number in a reply that the tools did not give."""

import pytest

from bancone_agent.domain import (
    ContentKind,
    Intent,
    OfflineAssistant,
    check_reply,
)
from services.agent.tests.support.offline_shop import (
    SHOP,
    FakeShopTools,
    ask,
    turn,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "language", "phrase"),
    [
        ("ciao", "it", "Ciao! Sono l'assistente di Enoteca Bancone."),
        ("hello", "en", "Hi! I'm the assistant of Enoteca Bancone."),
        ("hola", "es", "¡Hola! Soy el asistente de Enoteca Bancone."),
        ("grazie!", "it", "Grazie a te!"),
        ("thanks!", "en", "You're welcome!"),
        ("gracias", "es", "¡De nada!"),
        ("👍", "it", "Non sono sicuro di aver capito."),
    ],
)
async def test_chit_chat_gets_a_helpful_reply_in_the_language(
    text: str, language: str, phrase: str
) -> None:
    tools = FakeShopTools()
    reply = await ask(text, tools)

    assert reply.language == language
    assert reply.text.startswith(phrase)
    assert tools.product_queries == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("vorrei parlare con una persona", "it"),
        ("can I talk to a human please", "en"),
        ("quiero hablar con una persona", "es"),
    ],
)
async def test_asking_for_a_person_hands_off(text: str, language: str) -> None:
    reply = await ask(text)

    assert reply.intent is Intent.HUMAN_REQUEST
    assert reply.wants_human
    assert reply.language == language
    assert SHOP in reply.text


async def test_a_vague_product_question_asks_what_they_want() -> None:
    tools = FakeShopTools()
    reply = await ask("ce l'avete?", tools)

    assert reply.text.startswith("Certo! Quale prodotto ti interessa?")
    assert tools.product_queries == []


async def test_undetermined_text_is_answered_in_the_conversations_language() -> None:
    reply = await ask("Barolo?", previous_language="en")

    assert reply.language == "en"
    assert "€42.00" in reply.text


async def test_reaction_gets_no_reply() -> None:
    reply = await OfflineAssistant().respond(turn(None, kind=ContentKind.REACTION), FakeShopTools())
    assert reply is None


async def test_status_gets_no_reply() -> None:
    reply = await OfflineAssistant().respond(turn(None, kind=ContentKind.STATUS), FakeShopTools())
    assert reply is None


async def test_media_without_text_gets_a_text_only_notice_in_the_conversations_language() -> None:
    reply = await ask(None, kind=ContentKind.AUDIO, previous_language="es")

    assert reply.language == "es"
    assert "solo leo mensajes de texto" in reply.text


async def test_an_image_caption_is_read_like_a_text() -> None:
    reply = await ask("quanto costa questo? prosecco", kind=ContentKind.IMAGE)

    assert "€ 13,90" in reply.text


async def test_a_whatsapp_cart_order_is_handed_to_a_person() -> None:
    reply = await ask(None, kind=ContentKind.ORDER)

    assert reply.wants_human
    assert "ordine" in reply.text


async def test_tools_down_means_an_honest_reply_and_a_person() -> None:
    reply = await ask("avete un vino rosso?", FakeShopTools(broken=True))

    assert reply.wants_human
    assert "non riesco a consultare il catalogo" in reply.text


def test_unknown_whatsapp_types_map_to_unsupported() -> None:
    assert ContentKind.from_whatsapp("unknown") is ContentKind.UNSUPPORTED
    assert ContentKind.from_whatsapp("reaction") is ContentKind.REACTION


@pytest.mark.parametrize(
    ("kind", "media_type", "expected"),
    [
        ("text", None, ContentKind.TEXT),
        ("media", "audio", ContentKind.AUDIO),
        ("media", "sticker", ContentKind.STICKER),
        ("button_reply", None, ContentKind.INTERACTIVE),
        ("list_reply", None, ContentKind.INTERACTIVE),
        ("template_button", None, ContentKind.BUTTON),
        ("reaction", None, ContentKind.REACTION),
        ("something_new", None, ContentKind.UNSUPPORTED),
    ],
)
def test_inbound_event_kinds_map_to_content_kinds(
    kind: str, media_type: str | None, expected: ContentKind
) -> None:
    assert ContentKind.from_inbound(kind, media_type) is expected


CONVERSATION = [
    "avete un vino rosso sotto i 20 euro?",
    "do you have a red wine under 20?",
    "¿tenéis vino tinto?",
    "quanto costa il barolo?",
    "how much is the parmigiano?",
    "¿cuánto cuesta el aceite?",
    "c'è ancora il parmigiano?",
    "bollicine per capodanno",
    "any sparkling wine less than £30?",
    "un vino blanco de menos de 20 €",
    "qualcosa di economico",
    "tra 10 e 20 euro un bianco",
    "spedite anche in Germania?",
    "what are your opening hours?",
    "ciao",
    "grazie",
    "avete vino?",
    "un rosato",
]


@pytest.mark.parametrize("text", CONVERSATION)
@pytest.mark.parametrize("sloppy", [False, True])
async def test_every_number_in_a_reply_comes_from_the_tools(text: str, sloppy: bool) -> None:
    reply = await ask(text, FakeShopTools(sloppy=sloppy))

    assert check_reply(reply, extra_texts=[SHOP]) == []
