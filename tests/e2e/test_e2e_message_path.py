"""A WhatsApp message in, a grounded reply out, through all five services as processes."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from bancone_cli.webhooks import InboundText, build_text_webhook, build_texts_webhook, encode, sign
from bancone_contracts.topics import INBOUND

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e

PRICE = re.compile(r"€\s?(\d+(?:[.,]\d{2}))")


def prices_in(text: str) -> list[Decimal]:
    return [Decimal(p.replace(",", ".")) for p in PRICE.findall(text)]


# The reply's language, judged from outside like a customer would: common words of each
# language, counted outside the *bold* product names (Italian wine names in every language).
# An e2e test speaks HTTP and Kafka only, so it does not borrow the agent's own detector.
_MARKER_WORDS = {
    "it": "ecco cosa abbiamo nel tuo tua vuoi altre altri informazioni questi queste posso "
    "proporre disponibile ciao sono hai ti per con che non",
    "en": "here here's what we have within your would you like more details any these can "
    "suggest the is are for with hi not",
    "es": "esto es lo que tenemos dentro tu presupuesto quieres más detalles sobre alguno te "
    "puedo proponer disponible hola he encontrado buscas para con no",
}
LANGUAGE_MARKERS = {lang: frozenset(words.split()) for lang, words in _MARKER_WORDS.items()}
BOLD = re.compile(r"\*[^*]*\*")
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def language_of(reply: str) -> str | None:
    """The language with the most marker words in the reply; None on a tie."""
    words = [w.lower() for w in WORD.findall(BOLD.sub(" ", reply))]
    votes = {lang: sum(w in markers for w in words) for lang, markers in LANGUAGE_MARKERS.items()}
    first, second = sorted(votes.values(), reverse=True)[:2]
    return max(votes, key=votes.__getitem__) if first > second else None


async def catalog_products(platform: Platform, tenant_id: str) -> dict[str, Decimal]:
    r = await platform.http.get(
        f"{platform.url('catalog')}/v1/tenants/{tenant_id}/products",
        params={"limit": 100},
        headers=platform.admin(tenant_id),
    )
    r.raise_for_status()
    return {p["name"]: Decimal(p["price"]) for p in r.json()["items"]}


async def inbound_end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(INBOUND, p) for p in consumer.partitions_for_topic(INBOUND) or ()
        ]
        if not partitions:
            await consumer._client.force_metadata_update()  # type: ignore[attr-defined]
            partitions = [
                TopicPartition(INBOUND, p) for p in consumer.partitions_for_topic(INBOUND) or ()
            ]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def only_reply(platform: Platform, customer: str) -> list[str]:
    """Wait for the first message to the customer, then long enough to see any duplicate."""
    await platform.replies(customer)
    return await platform.settle(customer, seconds=6)


async def test_italian_budget_question_gets_one_grounded_reply(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    _, response = await platform.say(demo, customer, "Ciao! Avete un vino rosso sotto i 20 euro?")
    assert response.status_code == 200, response.text

    [reply] = await only_reply(platform, customer)
    catalog = await catalog_products(platform, "demo")
    named = [name for name in catalog if name in reply]
    assert named, f"reply names no catalog product: {reply}"
    for name in named:
        assert f"{catalog[name]:.2f}".replace(".", ",") in reply, f"{name} without its price"
    assert prices_in(reply), reply
    assert all(p <= 20 for p in prices_in(reply)), reply
    assert language_of(reply) == "it", reply


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hi! Do you have a red wine under 20 euros?", "en"),
        ("¡Hola! ¿Tenéis algún vino tinto por menos de 20 euros?", "es"),
    ],
)
async def test_english_and_spanish_are_answered_in_their_language(
    platform: Platform, customer: str, text: str, language: str
) -> None:
    _, response = await platform.say(platform.tenants["demo"], customer, text)
    assert response.status_code == 200
    [reply] = await only_reply(platform, customer)
    assert language_of(reply) == language, reply
    assert all(p <= 20 for p in prices_in(reply)), reply


async def test_same_webhook_three_times_gets_exactly_one_reply(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    payload = build_text_webhook(demo.phone_number_id, customer, "Avete del Prosecco?")
    statuses = [(await platform.post_webhook(demo, payload)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert len(await only_reply(platform, customer)) == 1


async def test_wrong_signature_is_401_and_nothing_reaches_kafka(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    before = await inbound_end_offsets(platform.kafka_bootstrap)
    payload = build_text_webhook(demo.phone_number_id, customer, "Ciao")
    response = await platform.post_webhook(demo, payload, secret="not-the-app-secret")
    assert response.status_code == 401
    assert await inbound_end_offsets(platform.kafka_bootstrap) == before
    assert await platform.settle(customer, seconds=3) == []


async def test_batched_webhook_with_two_customers_answers_both(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    other = customer[:-1] + str((int(customer[-1]) + 1) % 10)
    payload = build_texts_webhook(
        demo.phone_number_id,
        [
            InboundText(wa_id=customer, text="Avete olio extravergine?"),
            InboundText(wa_id=other, text="Do you have Parmigiano?"),
        ],
    )
    assert (await platform.post_webhook(demo, payload)).status_code == 200
    assert len(await platform.replies(customer)) == 1
    assert len(await platform.replies(other)) == 1


async def test_agent_killed_after_consuming_before_replying_replies_exactly_once(
    platform: Platform, customer: str
) -> None:
    """The catalog and ingest are frozen (SIGSTOP) so the agent's turn hangs on its tools;
    the agent is SIGKILLed mid-turn, restarted, and the event is redelivered."""
    demo = platform.tenants["demo"]
    agent, catalog, ingest = (platform.processes[n] for n in ("agent", "catalog", "ingest"))
    assert catalog.proc is not None
    assert ingest.proc is not None
    catalog.proc.send_signal(signal.SIGSTOP)
    ingest.proc.send_signal(signal.SIGSTOP)
    try:
        wamid, response = await platform.say(demo, customer, "Avete un Barolo?")
        assert response.status_code == 200
        deadline = time.monotonic() + 60
        while not agent.log_has_line(wamid, "inbound.turn_started"):
            assert time.monotonic() < deadline, "agent never picked up the message"
            await asyncio.sleep(0.1)
        agent.kill()
    finally:
        catalog.proc.send_signal(signal.SIGCONT)
        ingest.proc.send_signal(signal.SIGCONT)
    assert await platform.sent_to(customer) == []
    await platform.restart("agent")
    replies = await only_reply(platform, customer)
    assert len(replies) == 1, replies
    assert "Barolo" in replies[0]


async def test_notifier_killed_mid_send_delivers_exactly_once(
    platform: Platform, customer: str
) -> None:
    """The sandbox records the send and then holds its answer; the notifier dies waiting."""
    demo, sandbox = platform.tenants["demo"], platform.url("sandbox")
    http = platform.http
    await http.put(f"{sandbox}/sandbox/delay", json={"seconds": 30, "phase": "after_record"})
    try:
        _, response = await platform.say(demo, customer, "Avete cantucci?")
        assert response.status_code == 200
        await platform.replies(customer)  # recorded by the sandbox, answer still held
        platform.processes["notifier"].kill()
    finally:
        await http.delete(f"{sandbox}/sandbox/delay")
    await platform.restart("notifier")
    assert len(await only_reply(platform, customer)) == 1


async def test_customer_of_one_tenant_never_sees_another_tenants_products(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    rival_names = ["Krug", "Rosso Segreto", "Cantina Rivale"]
    questions = [
        "Avete lo Champagne Krug Grande Cuvée?",
        "Vorrei il Rosso Segreto della Cantina Rivale",
        "un vino rosso economico sotto i 8 euro?",
    ]
    for asked, question in enumerate(questions, start=1):
        # One at a time: quick successive messages would be folded into one turn.
        _, response = await platform.say(demo, customer, question)
        assert response.status_code == 200
        assert len(await platform.replies(customer, count=asked)) == asked
    replies = await platform.settle(customer)
    assert len(replies) == len(questions)
    for reply in replies:
        assert not any(name in reply for name in rival_names), reply

    rival_customer = "4" + customer[1:]
    _, response = await platform.say(platform.tenants["rival"], rival_customer, "Avete il Krug?")
    assert response.status_code == 200
    [rival_reply] = await platform.replies(rival_customer)
    assert "Krug" in rival_reply, "the rival's own customer does get its product"


async def test_unknown_phone_number_id_is_acknowledged_and_dropped(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    payload = build_text_webhook("999000999", customer, "Ciao")
    body = encode(payload)
    response = await platform.http.post(
        platform.url("gateway") + "/webhooks/whatsapp",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body, demo.app_secret),
        },
    )
    assert response.status_code == 200
    assert await platform.settle(customer, seconds=3) == []
