"""The conversation state machine, read whole, and the rules that hand a conversation to people."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bancone_agent.domain import Intent, Reply
from bancone_agent.domain.config import AgentConfig, EscalationRules, OpeningHours
from bancone_agent.domain.conversation import (
    TRANSITIONS,
    ConversationState,
    Move,
    Trigger,
    assistant_may_answer,
    held_by_people,
    move,
)
from bancone_agent.domain.escalation import (
    CLOSED_NOTES,
    CustomerSaid,
    Escalation,
    after_turn,
    asks_for_human,
    before_turn,
    holding_message,
    is_human_button,
    is_open,
    matching_keyword,
    matching_topic,
)
from bancone_agent.domain.run import TurnOutcome, TurnRun

pytestmark = pytest.mark.unit

S = ConversationState
T = Trigger

EXPECTED: dict[tuple[ConversationState, Trigger], Move] = {
    (S.BOT, T.CUSTOMER_MESSAGE): Move(S.BOT),
    (S.BOT, T.ESCALATE): Move(S.WAITING_FOR_HUMAN, "escalated"),
    (S.BOT, T.TAKEOVER): Move(S.HUMAN, "human_took_over"),
    (S.BOT, T.RESOLVE): Move(S.RESOLVED, "resolved"),
    (S.WAITING_FOR_HUMAN, T.CUSTOMER_MESSAGE): Move(S.WAITING_FOR_HUMAN),
    (S.WAITING_FOR_HUMAN, T.ESCALATE): Move(S.WAITING_FOR_HUMAN),
    (S.WAITING_FOR_HUMAN, T.TAKEOVER): Move(S.HUMAN, "human_took_over"),
    (S.WAITING_FOR_HUMAN, T.RESOLVE): Move(S.RESOLVED, "resolved"),
    (S.HUMAN, T.CUSTOMER_MESSAGE): Move(S.HUMAN),
    (S.HUMAN, T.ESCALATE): Move(S.HUMAN),
    (S.HUMAN, T.TAKEOVER): Move(S.HUMAN),
    (S.HUMAN, T.RESOLVE): Move(S.RESOLVED, "resolved"),
    (S.RESOLVED, T.CUSTOMER_MESSAGE): Move(S.BOT, "resumed"),
    (S.RESOLVED, T.ESCALATE): Move(S.WAITING_FOR_HUMAN, "escalated"),
    (S.RESOLVED, T.TAKEOVER): Move(S.HUMAN, "human_took_over"),
    (S.RESOLVED, T.RESOLVE): Move(S.RESOLVED),
}


def test_the_machine_defines_every_state_and_trigger_pair() -> None:
    assert set(TRANSITIONS) == {(s, t) for s in ConversationState for t in Trigger}


@pytest.mark.parametrize(("start", "trigger"), list(EXPECTED))
def test_transition_table(start: ConversationState, trigger: Trigger) -> None:
    assert move(start, trigger) == EXPECTED[(start, trigger)]
    assert move(start.value, trigger) == EXPECTED[(start, trigger)], "stored strings work too"


def test_a_move_that_changes_the_state_always_announces_it_and_only_then() -> None:
    for (start, _), step in TRANSITIONS.items():
        assert (step.transition is not None) == (step.state is not start)


def test_the_full_cycle_bot_waiting_human_resolved_bot() -> None:
    state = S.BOT
    seen = []
    for trigger in (T.ESCALATE, T.TAKEOVER, T.RESOLVE, T.CUSTOMER_MESSAGE):
        step = move(state, trigger)
        seen.append(step.transition)
        state = step.state
    assert state is S.BOT
    assert seen == ["escalated", "human_took_over", "resolved", "resumed"]


@pytest.mark.parametrize(
    ("state", "speaks"),
    [(S.BOT, True), (S.RESOLVED, True), (S.WAITING_FOR_HUMAN, False), (S.HUMAN, False)],
)
def test_the_assistant_is_silent_exactly_while_people_hold_the_conversation(
    state: ConversationState, speaks: bool
) -> None:
    assert assistant_may_answer(state) is speaks
    assert held_by_people(state) is not speaks


# --- asking for a person ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "voglio parlare con una persona",
        "Voglio parlare con una persona, per favore",
        "posso parlare con un operatore?",
        "I want to talk to a human",
        "can I speak to someone from the shop?",
        "quiero hablar con una persona",
        "¿Puedo hablar con un humano?",
    ],
)
def test_asking_for_a_person_in_it_en_es_escalates_before_any_assistant(text: str) -> None:
    assert asks_for_human(text)
    assert before_turn([CustomerSaid(text)], EscalationRules()) == Escalation(
        "customer_request", "customer"
    )


@pytest.mark.parametrize(
    "text",
    [
        # "is anyone there?"
        "c'è qualcuno??",
        "is anyone there??",
        "¿hay alguien?",
        # a call back
        "mi può chiamare qualcuno? ho bisogno di un consiglio",
        "potete richiamarmi? sono il sig. Bianchi",
        "can a real person call me back pls",
        "could somebody give me a call? need advice on a drill",
        "que me llame alguien por favor",
        "¿me podéis llamar? prefiero por teléfono",
        # someone in charge, customer service
        "passami il responsabile",
        "c'è un servizio clienti?",
        "get me the manager",
        "customer service please",
        "pásame con el encargado",
        "atención al cliente",
        "quiero que me atienda alguien de verdad",
        # frustration with the assistant
        "basta, non capisci niente",
        "non mi stai aiutando per niente 😡",
        "this bot is useless",
        "you're not helping at all",
        "no me entiendes",
        "esto no sirve para nada",
    ],
)
def test_hand_off_requests_phrased_many_ways_escalate(text: str) -> None:
    assert asks_for_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "Avete un vino rosso sotto i 20 euro?",
        "Do you ship to London?",
        "¿Qué horario tenéis?",
        # a person, a name, a call or "not understanding" that asks for no one
        "è per una persona celiaca, avete dolci senza glutine?",
        "for a person who loves chocolate, any gift under 20?",
        "hablando de postres, ¿tenéis tiramisú?",
        "mi chiamo Marco, avete martelli?",
        "me llamo Ana, ¿tenéis tartas?",
        "can you get me a gift for someone special?",
        "non ho capito, quanto costa?",
        "I don't understand, is it in stock?",
    ],
)
def test_ordinary_questions_do_not_escalate(text: str) -> None:
    assert not asks_for_human(text)
    assert before_turn([CustomerSaid(text)], EscalationRules()) is None


@pytest.mark.parametrize(
    ("button_id", "expected"),
    [
        ("human", True),
        ("HUMAN", True),
        ("human:it", True),
        ("talk_to_human", True),
        ("operator", True),
        ("handoff", True),
        ("red_wines", False),
        ("humanities-books", False),
        (None, False),
        ("", False),
    ],
)
def test_a_human_request_button_is_recognised_by_its_id(
    button_id: str | None, expected: bool
) -> None:
    assert is_human_button(button_id) is expected


def test_a_button_tap_escalates_whatever_its_title_says() -> None:
    said = [CustomerSaid("Parla con noi", button_id="human")]
    assert before_turn(said, EscalationRules()) == Escalation(
        "customer_request", "customer", "button"
    )


def test_any_message_of_a_folded_turn_can_ask_for_a_person() -> None:
    said = [CustomerSaid("ciao"), CustomerSaid("voglio parlare con una persona"), CustomerSaid("?")]
    escalation = before_turn(said, EscalationRules())
    assert escalation is not None
    assert escalation.reason == "customer_request"


# --- configured rules -------------------------------------------------------------------------


def test_keywords_match_whole_words_ignoring_case_and_accents() -> None:
    keywords = ("reclamación", "avvocato", "carta regalo")
    assert matching_keyword("Quiero poner una RECLAMACION", keywords) == "reclamación"
    assert matching_keyword("chiamo il mio avvocato!", keywords) == "avvocato"
    assert matching_keyword("vorrei una Carta Regalo", keywords) == "carta regalo"
    assert matching_keyword("avvocatorio", keywords) is None
    assert matching_keyword("qualcosa", ()) is None


def test_a_keyword_rule_escalates_with_the_keyword_as_detail() -> None:
    rules = EscalationRules(keywords=("reclamo",))
    assert before_turn([CustomerSaid("Vorrei fare un reclamo")], rules) == Escalation(
        "keyword", "system", "reclamo"
    )


def test_topics_match_faq_topics_intents_and_plain_words() -> None:
    assert matching_topic("Posso fare un reso?", ("returns",)) == "returns"
    assert matching_topic("how much is the Barolo?", ("price_question",)) == "price_question"
    assert matching_topic("ho un problema con la fattura", ("fattura",)) == "fattura"
    assert matching_topic("Avete un rosso?", ("returns", "fattura")) is None


def test_a_topic_rule_escalates() -> None:
    rules = EscalationRules(topics=("returns",))
    assert before_turn([CustomerSaid("I want a refund")], rules) == Escalation(
        "topic", "system", "returns"
    )


def reply(
    *, wants_human: bool = False, reason: str | None = None, run: TurnRun | None = None
) -> Reply:
    return Reply(
        text="…",
        language="it",
        intent=Intent.PRODUCT_SEARCH,
        wants_human=wants_human,
        escalation_reason=reason,
        run=run,
    )


def test_an_assistant_that_wants_a_human_escalates_with_its_reason() -> None:
    escalation, failed = after_turn(
        reply(wants_human=True, reason="ungrounded"), 1, EscalationRules()
    )
    assert escalation == Escalation("ungrounded", "ai")
    assert failed == 0
    escalation, _ = after_turn(reply(wants_human=True), 0, EscalationRules())
    assert escalation is not None
    assert escalation.reason == "model"


def test_failed_turns_in_a_row_escalate_and_a_good_turn_resets_the_count() -> None:
    rules = EscalationRules(max_failed_turns=3)
    failed = reply(run=TurnRun(assistant="llm", outcome=TurnOutcome.FALLBACK))
    errored = reply(run=TurnRun(assistant="llm", error="APITimeoutError"))
    good = reply(run=TurnRun(assistant="llm"))

    assert after_turn(failed, 0, rules) == (None, 1)
    assert after_turn(errored, 1, rules) == (None, 2)
    assert after_turn(good, 2, rules) == (None, 0)
    assert after_turn(failed, 2, rules) == (Escalation("failed_turns", "system", "3"), 0)


def test_not_understanding_small_talk_is_no_failed_turn() -> None:
    unknown = Reply(text="?", language="it", intent=Intent.UNKNOWN)
    assert after_turn(unknown, 1, EscalationRules(max_failed_turns=2)) == (None, 0)


# --- holding message --------------------------------------------------------------------------

HOURS = OpeningHours(
    timezone="Europe/Rome",
    days={2: [(time(9, 30), time(13, 0)), (time(16, 0), time(20, 0))]},
)
TUESDAY_10_ROME = datetime(2025, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 in Rome
TUESDAY_14_ROME = datetime(2025, 12, 2, 13, 0, tzinfo=UTC)
MONDAY_10_ROME = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)


def test_opening_hours_in_the_shops_time_zone() -> None:
    assert is_open(HOURS, TUESDAY_10_ROME) is True
    assert is_open(HOURS, TUESDAY_14_ROME) is False
    assert is_open(HOURS, MONDAY_10_ROME) is False
    assert is_open(OpeningHours(), MONDAY_10_ROME) is None, "no hours configured: unknown"


def test_the_holding_message_is_the_configured_one_in_the_customers_language() -> None:
    config = AgentConfig(
        holding_message={"it": "Un attimo, arriva una persona.", "en": "A person will reply."},
        opening_hours=HOURS,
    )
    assert holding_message(config, "en", TUESDAY_10_ROME) == "A person will reply."
    assert holding_message(config, "es", TUESDAY_10_ROME) == "Un attimo, arriva una persona.", (
        "a language without a message gets the shop's default language"
    )
    closed = holding_message(config, "it", MONDAY_10_ROME)
    assert closed == f"Un attimo, arriva una persona.\n{CLOSED_NOTES['it']}"


def test_default_holding_messages_exist_in_every_supported_language() -> None:
    config = AgentConfig()
    texts = {
        language: holding_message(config, language, MONDAY_10_ROME)
        for language in ("it", "en", "es")
    }
    assert len(set(texts.values())) == 3
