"""The customer's language is read from short WhatsApp texts, or carried over when they don't say."""

import pytest

from bancone_agent.domain.language import PROFILES, choose_language, detect_language
from bancone_agent.domain.lexicon import LEXICONS
from bancone_agent.domain.phrases import PHRASEBOOKS

pytestmark = pytest.mark.unit

ITALIAN = [
    "ciao",
    "buongiorno!",
    "buonasera, siete aperti domani?",
    "avete un vino rosso sotto i 20 euro?",
    "grazie mille",
    "quanto costa il barolo?",
    "c'è ancora il parmigiano?",
    "vorrei parlare con una persona",
    "spedite anche in Germania?",
    "qualcosa di economico per una cena",
    "bollicine per capodanno",
    "tra 10 e 20 euro un bianco",
    "orari di apertura?",
    "si può pagare con carta?",
    "mi serve un regalo",
    "avete olio extravergine?",
    "è disponibile?",
    "vino rosso",
    "perfetto, lo prendo",
    "ce l'avete?",
    "salve, vendete anche vini naturali?",
    "mi consigliate un vino per il pesce?",
    "quanto viene la bottiglia di amarone",
    "avete la consegna a domicilio a Milano",
    "scusate il ritardo, ieri non ho potuto rispondere",
    "fate sconti per gli ordini grandi?",
    "il negozio è aperto la domenica?",
    "che formaggi stagionati avete",
    "non mi è arrivato il pacco",
    "accettate satispay?",
    "l'olio nuovo è arrivato?",
    "tutto chiaro, a presto!",
]

ENGLISH = [
    "hi",
    "hello there",
    "thanks a lot!",
    "hi, do you ship to London?",
    "do you have a red wine under 20?",
    "how much is the Barolo?",
    "is the prosecco in stock?",
    "can I talk to a human please",
    "what are your opening hours?",
    "something cheap for dinner",
    "any sparkling wine less than £30?",
    "thank you",
    "good morning",
    "I'd like some cheese",
    "do you accept credit cards?",
    "where are you located?",
    "red wine",
    "perfect, I'll take it",
    "do you have it?",
    "hey, what wine goes with steak?",
    "do you deliver on weekends?",
    "my order hasn't arrived yet",
    "can you recommend a dessert wine",
    "is there a discount for students",
    "looking for a present for my boss",
    "could I pick it up tomorrow?",
    "got any organic stuff?",
    "nice one cheers",
]

SPANISH = [
    "hola",
    "¡hola! ¿qué tal?",
    "¿tenéis vino tinto?",
    "gracias",
    "muchas gracias",
    "¿cuánto cuesta el aceite?",
    "algo barato por favor",
    "un vino blanco de menos de 20 €",
    "¿hacen envíos a Madrid?",
    "quiero hablar con una persona",
    "¿está disponible el queso?",
    "entre 10 y 20 euros",
    "buenos días",
    "¿a qué hora abren?",
    "busco un espumoso para una fiesta",
    "vino tinto",
    "perfecto, me lo llevo",
    "¿lo tenéis?",
    "necesito un regalo para mi jefe",
    "¿cuánto tarda el envío?",
    "no me ha llegado el paquete",
    "quiero dos botellas de tinto",
    "vale, muchas gracias por todo",
    "hacen descuentos a empresas",
    "me gustaría saber el horario del sábado",
    "qué vino va bien con el pescado",
    "aceptan bizum?",
    "que tal, estan abiertos hoy",
]

LABELLED = (
    [(text, "it") for text in ITALIAN]
    + [(text, "en") for text in ENGLISH]
    + [(text, "es") for text in SPANISH]
)


@pytest.mark.parametrize(("text", "language"), LABELLED)
def test_short_messages_are_detected_in_their_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["ok", "👍", "🍷🍷", "?", "...", "Barolo", "prosecco?", "12"])
def test_texts_that_say_nothing_about_language_are_undetermined(text: str) -> None:
    assert detect_language(text) is None


def test_undetermined_text_keeps_the_conversations_language() -> None:
    assert choose_language("👍", previous="es", default="it") == "es"


def test_undetermined_text_without_history_uses_the_shop_default() -> None:
    assert choose_language("Barolo", previous=None, default="it") == "it"


def test_no_text_at_all_uses_history_then_default() -> None:
    assert choose_language(None, previous="en", default="it") == "en"
    assert choose_language(None, previous=None, default="es") == "es"


def test_a_clear_message_wins_over_the_previous_language() -> None:
    assert choose_language("do you ship to London?", previous="it", default="it") == "en"


def test_an_unknown_previous_language_is_ignored() -> None:
    assert choose_language("ok", previous="xx", default="it") == "it"


def test_every_detectable_language_can_be_understood_and_answered() -> None:
    """Adding a language is a data change in three places; none may be forgotten."""
    assert set(PROFILES) == set(LEXICONS) == set(PHRASEBOOKS)


@pytest.mark.parametrize("text", ["vendéis pan?", "¿podéis llamarme?", "vendeis cruasanes?"])
def test_spanish_second_person_plural_gives_spanish_away(text: str) -> None:
    assert detect_language(text) == "es"
